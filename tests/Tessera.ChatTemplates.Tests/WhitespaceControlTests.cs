namespace Tessera.ChatTemplates.Tests;

/// <summary>trim_blocks, lstrip_blocks and the '-' / '+' markers, as Hugging Face configures Jinja.</summary>
public sealed class WhitespaceControlTests
{
    [Theory]
    [InlineData("a\n  {% if true %}\n  yes\n  {% endif %}\nb", "a\n  yes\nb")]
    [InlineData("a\n  {%- if true -%}\n  yes\n  {%- endif -%}\nb", "ayesb")]
    [InlineData("a  {{- 'x' -}}  b", "axb")]
    [InlineData("a  {{ 'x' }}  \nb", "a  x  \nb")]
    [InlineData("  {# comment #}\nx", "x")]
    [InlineData("  {%+ if true %}x{% endif +%}\ny", "  x\ny")]
    [InlineData("{% for x in [1, 2] %}\n  {{ x }}\n{% endfor %}\n", "  1\n  2\n")]
    [InlineData("x {% if true %}y{% endif %}", "x y")]
    [InlineData("line\n\t {% if true %}z{% endif %}", "line\nz")]
    [InlineData("{{ 'a' }}\n{{ 'b' }}", "a\nb")]
    [InlineData("{%- if true %}\n    {{- 'a' }}\n{%- endif %}\n", "a")]
    public void AppliesHuggingFaceWhitespaceRules(string template, string expected)
    {
        Assert.Equal(expected, Render.Text(template));
    }

    [Fact]
    public void DropsOneTrailingNewlineOfTheTemplate()
    {
        Assert.Equal("x\n", Render.Text("x\n\n"));
        Assert.Equal("x", Render.Text("x\r\n"));
    }

    [Fact]
    public void RawBlocksAreNotParsed()
    {
        Assert.Equal("{{ not parsed }} {% if %}", Render.Text("{% raw %}{{ not parsed }} {% if %}{% endraw %}"));
    }

    [Fact]
    public void TemplateSyntaxInsideValuesIsNotReparsed()
    {
        Assert.Equal("{{ x }} {% raw %}", Render.Text("{{ v }}", ("v", "{{ x }} {% raw %}")));
    }
}
