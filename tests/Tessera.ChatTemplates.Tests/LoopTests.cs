namespace Tessera.ChatTemplates.Tests;

public sealed class LoopTests
{
    [Fact]
    public void LoopVariablesDescribeThePosition()
    {
        const string template = "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}" +
            "{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.cycle('a','b') }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}";
        Assert.Equal("10TrueFalse332a2;21FalseFalse321b13;32FalseTrue310a2;", Render.Text(template, Render.Data));
    }

    [Theory]
    [InlineData("{% for x in xs if x > 1 %}{{ x }}{{ loop.index }}{{ loop.last }}{% else %}empty{% endfor %}", "21False32True")]
    [InlineData("{% for x in [] %}{{ x }}{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "b=2;a=1;items=5;")]
    [InlineData("{% for k, v in d|dictsort %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;items=5;")]
    [InlineData("{% for k in d %}{{ k }};{% endfor %}", "b;a;items;")]
    [InlineData("{% for c in 'ab' %}{{ c }}.{% endfor %}", "a.b.")]
    [InlineData("{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}", "1")]
    [InlineData("{% for i in range(3) %}{% for j in range(2) %}{{ loop.index }}{% endfor %}{{ loop.index }}|{% endfor %}", "121|122|123|")]
    [InlineData("{% for x in missing %}{{ x }}{% else %}none{% endfor %}", "none")]
    [InlineData("{% for m in msgs[::-1] %}{{ m.role }} {% endfor %}", "assistant user ")]
    public void IteratesLikeJinja(string template, string expected)
    {
        Assert.Equal(expected, Render.Text(template, Render.Data));
    }

    [Fact]
    public void SetInsideALoopIsLocalToEachIteration()
    {
        Assert.Equal("234|1", Render.Text("{% set y = 1 %}{% for x in xs %}{% set y = y + x %}{{ y }}{% endfor %}|{{ y }}", Render.Data));
    }

    [Fact]
    public void NamespacesCarryStateOutOfLoops()
    {
        Assert.Equal("6", Render.Text("{% set ns = namespace(c=0) %}{% for x in xs %}{% set ns.c = ns.c + x %}{% endfor %}{{ ns.c }}", Render.Data));
    }

    [Fact]
    public void BreakOutsideALoopIsASyntaxError()
    {
        Assert.Equal(TemplateErrorKind.Syntax, Render.Error("{% break %}").Kind);
    }
}
