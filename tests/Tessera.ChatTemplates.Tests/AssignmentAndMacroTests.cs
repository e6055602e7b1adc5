namespace Tessera.ChatTemplates.Tests;

/// <summary>set (plain, unpacking, block, namespace attribute) and macros (defaults, keywords, recursion, caller).</summary>
public sealed class AssignmentAndMacroTests
{
    [Theory]
    [InlineData("{% if true %}{% set z = 5 %}{% endif %}{{ z }}", "5")]
    [InlineData("{% set a, b = 1, 2 %}{{ a }}{{ b }}", "12")]
    [InlineData("{% set a = (1, 2) %}{{ a }}", "(1, 2)")]
    [InlineData("{% set blk %}  hello {{ 1 }}  {% endset %}[{{ blk }}]", "[  hello 1  ]")]
    [InlineData("{% set ns = namespace() %}{% set ns.x = 'v' %}{{ ns.x }}", "v")]
    [InlineData("{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.c is defined }}", "12False")]
    [InlineData("{% set messages = messages[1:] %}{{ messages|length }}", "0")]
    public void AssignsLikeJinja(string template, string expected)
    {
        Assert.Equal(expected, Render.Text(template, ("messages", new List<object?> { "m" })));
    }

    [Fact]
    public void AssigningAnAttributeOfANonNamespaceIsAnError()
    {
        Assert.Contains("not a namespace", Render.Error("{% set d = {} %}{% set d.x = 1 %}").Message);
    }

    [Theory]
    [InlineData("{% macro m(a, b=2) %}[{{ a }}{{ b }}]{% endmacro %}{{ m(1) }}{{ m(1, 3) }}{{ m(a=5, b=6) }}{{ m() }}", "[12][13][56][2]")]
    [InlineData("{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(5) }}", "54321")]
    [InlineData("{% macro w() %}<{{ caller() }}>{% endmacro %}{% call w() %}inner{% endcall %}", "<inner>")]
    [InlineData("{% macro t(x) %}{{ x }}{% endmacro %}{{ t('ab').upper() }}|{{ t('abc')|length }}", "AB|3")]
    [InlineData("{% macro v() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ v(1, k=2) }}", "[1]{'k': 2}")]
    [InlineData("{% set g = 'outer' %}{% macro m() %}{{ g }}{% set g = 'inner' %}{{ g }}{% endmacro %}{{ m() }}{{ g }}", "outerinnerouter")]
    public void MacrosBehaveLikeJinja(string template, string expected)
    {
        Assert.Equal(expected, Render.Text(template));
    }

    [Theory]
    [InlineData("{% macro m(a, b) %}{{ a }}{% endmacro %}{{ m(1, 2, 3) }}", "takes not more than 2")]
    [InlineData("{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=1) }}", "no keyword argument 'b'")]
    public void MacrosRejectArgumentsTheyCannotTake(string template, string message)
    {
        Assert.Contains(message, Render.Error(template).Message);
    }
}
