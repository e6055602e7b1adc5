namespace Tessera.ChatTemplates.Tests;

/// <summary>Operators, literals, access and Python-style printing; outputs taken from Python's Jinja.</summary>
public sealed class ExpressionTests
{
    [Theory]
    [InlineData("{{ xs }}|{{ d }}|{{ n }}|{{ t }}|{{ 1.5 }}|{{ 1.0 }}", "[1, 2, 3]|{'b': 2, 'a': 1, 'items': 5}|None|True|1.5|1.0")]
    [InlineData("{{ 10/4 }}|{{ 10//4 }}|{{ -10//4 }}|{{ 10 % 3 }}|{{ -10 % 3 }}|{{ 2**8 }}|{{ 2**-1 }}|{{ 10 / 5 }}", "2.5|2|-3|1|2|256|0.5|2.0")]
    [InlineData("{{ 'a' ~ 1 ~ none ~ true }}|{{ 'ab' * 3 }}|{{ [1] + [2] }}|{{ (1, 2) }}|{{ (1,) }}|{{ () }}", "a1NoneTrue|ababab|[1, 2]|(1, 2)|(1,)|()")]
    [InlineData("{{ 2 * 3 + 4 ** 2 / 8 - 1 }}|{{ (1 + 2) * 3 }}|{{ 'a' ~ 2 * 3 }}|{{ (1 + 2) ~ 3 }}|{{ -2 ** 2 }}|{{ 2 ** 3 ** 2 }}", "7.0|9|a6|33|4|64")]
    [InlineData("{{ 1e20 }}|{{ 1.5e-7 }}|{{ 123456789.123 }}|{{ 0.1 + 0.2 }}|{{ 1e16 }}|{{ 1e15 }}|{{ 0.0001 }}", "1e+20|1.5e-07|123456789.123|0.30000000000000004|1e+16|1000000000000000.0|0.0001")]
    [InlineData("{{ \"it's\" }}|{{ [\"it's\", 'say \"hi\"', 'both \\' \"'] }}", "it's|[\"it's\", 'say \"hi\"', 'both \\' \"']")]
    [InlineData("{{ ['a\\nb', 'tab\\t', 'é', '\\x01'] }}|{{ {'a': none, 'b': true, 1: 2.0} }}", "['a\\nb', 'tab\\t', 'é', '\\x01']|{'a': None, 'b': True, 1: 2.0}")]
    [InlineData("{{ s[0] }}|{{ s[-1] }}|{{ s[::-1] }}|{{ s[1:4] }}|{{ 'abc'[-2:] }}", "H|🌍|🌍 dlroW olléH|éll|bc")]
    [InlineData("{{ xs[1:] }}|{{ xs[:-1] }}|{{ xs[::2] }}|{{ xs[5:] }}|{{ xs[-100:100] }}|{{ xs[10] }}|{{ xs[-1] }}", "[2, 3]|[1, 2]|[1, 3]|[]|[1, 2, 3]||3")]
    [InlineData("{{ d.a }}|{{ d['b'] }}|{{ d['items'] }}|{{ d.missing }}|{{ d.get('a') }}|{{ d.get('z', 'dflt') }}|{{ d.keys()|list }}|{{ d.values()|list }}", "1|2|5||1|dflt|['b', 'a', 'items']|[2, 1, 5]")]
    [InlineData("{{ 'a' if t else 'b' }}|{{ 'a' if n }}|{{ n or 'x' }}|{{ t and 'y' }}|{{ not e }}", "a||x|y|True")]
    [InlineData("{{ 1 in xs }}|{{ 4 not in xs }}|{{ 'a' in d }}|{{ 'ell' in 'hello' }}|{{ 1 < 2 < 3 }}|{{ 3 > 2 > 5 }}|{{ 'x' in missing }}", "True|True|True|True|True|False|False")]
    [InlineData("{{ 1 == 1.0 }}|{{ [1, 2] == [1, 2] }}|{{ {'a': 1} == {'a': 1} }}|{{ 'a' < 'b' }}|{{ [1, 2] < [1, 3] }}|{{ none == none }}|{{ x == none }}", "True|True|True|True|True|True|False")]
    [InlineData("{{ msgs[0] == msgs[0] }}|{{ msgs[0] == msgs[1] }}|{{ (msgs|selectattr('role', 'equalto', 'user')|list)[-1].content }}", "True|False|hi")]
    [InlineData("{{ range(3)|list }}|{{ range(1, 10, 3)|list }}|{{ range(5)[1:3]|list }}|{{ range(3)|length }}|{{ dict(a=1, b=2) }}", "[0, 1, 2]|[1, 4, 7]|[1, 2]|3|{'a': 1, 'b': 2}")]
    [InlineData("{{ x.y.z }}|{{ x.y is defined }}|{{ d.a.b is defined }}", "|False|False")]
    public void EvaluatesLikeJinja(string template, string expected)
    {
        Assert.Equal(expected, Render.Text(template, Render.Data));
    }

    [Theory]
    [InlineData("{{ 'a,b,,c'.split(',') }}|{{ '  a  b '.split() }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}", "['a', 'b', '', 'c']|['a', 'b']|['a', 'b,c']|['a,b', 'c']")]
    [InlineData("{{ ' x '.strip() }}|{{ 'xax'.strip('x') }}|{{ '\\nx\\n'.lstrip('\\n') }}|{{ 'x  '.rstrip() }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith(('x', 'c')) }}", "x|a|x\n|x|True|True")]
    [InlineData("{{ 'Hello'.upper() }}|{{ 'Hello'.lower() }}|{{ 'hello world'.title() }}|{{ 'a-b'.replace('-', '+') }}", "HELLO|hello|Hello World|a+b")]
    [InlineData("{{ 'abcabc'.find('c') }}|{{ 'abcabc'.count('b') }}|{{ '{} and {}'.format(1, 'x') }}|{{ '{name}!'.format(name='N') }}|{{ ', '.join(['a', 'b']) }}", "2|2|1 and x|N!|a, b")]
    [InlineData("{{ 'a\\nb\\r\\nc\\rd\\n'.splitlines() }}|{{ ''.splitlines() }}|{{ 'x'.splitlines() }}", "['a', 'b', 'c', 'd']|[]|['x']")]
    public void StringMethodsMatchPython(string template, string expected)
    {
        Assert.Equal(expected, Render.Text(template, Render.Data));
    }

    [Theory]
    [InlineData("{{ 'a\\tb\\u00e9\\x41\\101\\q' }}", "a\tbéAA\\q")]
    [InlineData("{{ \"double \\\"quoted\\\"\" }}", "double \"quoted\"")]
    [InlineData("{{ 'adjacent' ' strings' }}", "adjacent strings")]
    [InlineData("{{ 1_000 + 0.5e1 }}", "1005.0")]
    [InlineData("{{ True }}{{ False }}{{ None }}", "TrueFalseNone")]
    public void ParsesLiterals(string template, string expected)
    {
        Assert.Equal(expected, Render.Text(template));
    }
}
