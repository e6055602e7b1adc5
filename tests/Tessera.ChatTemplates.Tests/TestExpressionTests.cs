namespace Tessera.ChatTemplates.Tests;

/// <summary>The <c>is</c> tests.</summary>
public sealed class TestExpressionTests
{
    [Theory]
    [InlineData("{{ x is defined }}|{{ xs is defined }}|{{ x is undefined }}|{{ n is none }}|{{ s is string }}", "False|True|True|True|True")]
    [InlineData("{{ 1 is number }}|{{ t is number }}|{{ 1 is integer }}|{{ t is integer }}|{{ 1.0 is float }}|{{ 'x' is number }}", "True|True|True|False|True|False")]
    [InlineData("{{ d is mapping }}|{{ xs is iterable }}|{{ s is iterable }}|{{ 1 is iterable }}|{{ xs is sequence }}|{{ d is sequence }}|{{ 1 is sequence }}", "True|True|True|False|True|True|False")]
    [InlineData("{{ t is boolean }}|{{ t is true }}|{{ t is false }}|{{ 3 is odd }}|{{ 4 is even }}|{{ 9 is divisibleby 3 }}|{{ 9 is divisibleby(2) }}", "True|True|False|True|True|True|False")]
    [InlineData("{{ 'a' is equalto 'a' }}|{{ 'a' is eq 'b' }}|{{ none is sameas none }}|{{ 2 is gt 1 }}|{{ 1 is in xs }}", "True|False|True|True|True")]
    [InlineData("{{ x is not defined }}|{{ not x is defined }}|{{ 1 if x is not defined else 2 }}|{{ n is not none and t }}", "True|True|1|False")]
    public void TestsMatchJinja(string template, string expected)
    {
        Assert.Equal(expected, Render.Text(template, Render.Data));
    }

    [Fact]
    public void UnknownTestIsAnError()
    {
        Assert.Contains("nosuchtest", Render.Error("{{ 1 is nosuchtest if true }}").Message);
    }
}
