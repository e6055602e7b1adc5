namespace Tessera.ChatTemplates.Tests;

/// <summary>Filters, with outputs taken from Python's Jinja for the same inputs.</summary>
public sealed class FilterTests
{
    [Theory]
    [InlineData("{{ '  x  '|trim }}|{{ 'xxhixx'|trim('x') }}", "x|hi")]
    [InlineData("{{ s|length }}|{{ s|count }}|{{ xs|length }}|{{ d|length }}|{{ missing|length }}", "13|13|3|3|0")]
    [InlineData("{{ s|upper }}|{{ s|lower }}|{{ 'hello wORLD-x'|title }}|{{ 'hello WORLD'|capitalize }}", "HÉLLO WORLD 🌍|héllo world 🌍|Hello World-X|Hello world")]
    [InlineData("{{ 'a b c'|replace(' ', '-') }}|{{ 'abc'|replace('b', 'B', 1) }}", "a-b-c|aBc")]
    [InlineData("{{ 3.7|int }}|{{ '42'|int }}|{{ 'x'|int }}|{{ '3.5'|float }}|{{ 3|float }}|{{ true|int }}", "3|42|0|3.5|3.0|1")]
    [InlineData("{{ -3|abs }}|{{ 2.5|round }}|{{ 3.5|round }}|{{ 2.567|round(2) }}|{{ 3.2|round(0, 'ceil') }}|{{ 7|round }}", "3|2.0|4.0|2.57|4.0|7")]
    [InlineData("{{ xs|join(', ') }}|{{ [1, none, 'a']|join('-') }}|{{ msgs|join(', ', attribute='role') }}", "1, 2, 3|1-None-a|user, assistant")]
    [InlineData("{{ x|default('dflt') }}|{{ e|default('dflt') }}|{{ e|default('dflt', true) }}|{{ n|default('z') }}|{{ x|d('q') }}", "dflt||dflt|None|q")]
    [InlineData("{{ xs|first }}|{{ xs|last }}|{{ 'abc'|first }}|{{ []|first }}|{{ s|last }}", "1|3|a||🌍")]
    [InlineData("{{ xs|reverse|list }}|{{ 'ab'|reverse }}|{{ 'abc'|list }}|{{ d|list }}", "[3, 2, 1]|ba|['a', 'b', 'c']|['b', 'a', 'items']")]
    [InlineData("{{ d|dictsort }}|{{ d|items|list }}", "[('a', 1), ('b', 2), ('items', 5)]|[('b', 2), ('a', 1), ('items', 5)]")]
    [InlineData("{{ xs|sum }}|{{ xs|min }}|{{ xs|max }}|{{ ['b','A','a']|sort }}|{{ ['b','A','a']|unique|list }}", "6|1|3|['A', 'a', 'b']|['b', 'A']")]
    [InlineData("{{ [3, 1, 2]|sort(reverse=true) }}|{{ [{'n': 2}, {'n': 1}]|sort(attribute='n') }}", "[3, 2, 1]|[{'n': 1}, {'n': 2}]")]
    [InlineData("{{ msgs|selectattr('role', 'equalto', 'user')|list }}", "[{'role': 'user', 'content': 'hi'}]")]
    [InlineData("{{ msgs|map(attribute='content')|join(', ') }}|{{ msgs|rejectattr('role', 'eq', 'user')|list|length }}", "hi, yo|1")]
    [InlineData("{{ xs|select('odd')|list }}|{{ xs|reject('even')|list }}|{{ xs|map('string')|join }}|{{ ['1', '2']|map('int')|sum }}", "[1, 3]|[1, 3]|123|3")]
    [InlineData("{{ \"a\\nb\\n\\nc\"|indent(2) }}|{{ \"a\\nb\"|indent(2, true) }}|{{ \"a\\n\\nb\"|indent(2, blank=true) }}", "a\n  b\n\n  c|  a\n  b|a\n  \n  b")]
    [InlineData("{{ xs|batch(2)|list }}|{{ 'x'|center(5) }}|{{ '<a href=\"x\">'|e }}|{{ '<b>'|safe }}", "[[1, 2], [3]]|  x  |&lt;a href=&#34;x&#34;&gt;|<b>")]
    [InlineData("{{ 1|string }}|{{ none|string }}|{{ xs|string }}|{{ missing|string }}", "1|None|[1, 2, 3]|")]
    [InlineData("{{ \"%s-%s\"|format(1, 'a') }}|{{ \"%05.2f\"|format(3.14159) }}|{{ \"%-5s|\"|format('ab') }}|{{ '%s and %s' % (1, 2) }}|{{ '%(a)s' % {'a': 5} }}", "1-a|03.14|ab   ||1 and 2|5")]
    [InlineData("{{ '%.3s|%5.1f|%-6d|%c|%x|%+d' % ('abcdef', 2.25, 42, 65, 255, 5) }}", "abc|  2.2|42    |A|ff|+5")]
    [InlineData("{{ 15|round(-1) }}|{{ 25|round(-1) }}|{{ 9007199254740993|round }}|{{ 0.125|round(2) }}", "20|20|9007199254740993|0.12")]
    public void FiltersMatchJinja(string template, string expected)
    {
        Assert.Equal(expected, Render.Text(template, Render.Data));
    }

    [Fact]
    public void UnknownFilterInATakenBranchFailsWhenItRuns()
    {
        var error = Render.Error("{% if true %}{{ 1|nosuchfilter }}{% endif %}");
        Assert.Equal(TemplateErrorKind.Runtime, error.Kind);
        Assert.Contains("nosuchfilter", error.Message);
    }

    [Fact]
    public void FilterBlocksAndSetBlocksApplyFilters()
    {
        Assert.Equal("ABC X", Render.Text("{% filter upper %}abc {{ v }}{% endfilter %}", ("v", "x")));
        Assert.Equal("[ABC]", Render.Text("{% set b | upper %}abc{% endset %}[{{ b }}]"));
    }
}
