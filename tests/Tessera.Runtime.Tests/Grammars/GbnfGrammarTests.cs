using Tessera.Runtime.Grammars;

namespace Tessera.Runtime.Tests.Grammars;

/// <summary>GBNF grammars compiled to bytes: what they accept and reject, and errors that say where.</summary>
public sealed class GbnfGrammarTests
{
    private static bool Matches(string gbnf, string text) => GrammarMatcher.Matches(CompiledGrammar.FromGbnf(gbnf), text);

    private const string Arithmetic = """
        # integer arithmetic with precedence and parentheses
        root ::= expr
        expr ::= term ( ws [-+] ws term )*
        term ::= factor ( ws [*/] ws factor )*
        factor ::= number | "(" ws expr ws ")" | "-" factor
        number ::= [0-9]+
        ws ::= " "?
        """;

    [Theory]
    [InlineData("1", true)]
    [InlineData("1 + 2 * 3", true)]
    [InlineData("(1+2)*-3", true)]
    [InlineData("((4))/ 2 - 7", true)]
    [InlineData("", false)]
    [InlineData("1 +", false)]
    [InlineData("(1 + 2", false)]
    [InlineData("1 ++ 2", false)]
    [InlineData("1  + 2", false)]
    [InlineData("a", false)]
    public void Arithmetic_expressions(string text, bool valid) => Assert.Equal(valid, Matches(Arithmetic, text));

    private const string List = """
        root ::= item{1,3} ( "\n" item{1,3} )*
        item ::= "- " [a-z]+ "\n"?
        """;

    [Theory]
    [InlineData("- milk", true)]
    [InlineData("- milk\n- eggs\n- tea", true)]
    [InlineData("- a\n- b\n- c\n- d", true)]
    [InlineData("- ", false)]
    [InlineData("* milk", false)]
    [InlineData("- Milk", false)]
    public void Lists_with_bounded_repetition(string text, bool valid) => Assert.Equal(valid, Matches(List, text));

    private const string Json = """
        root ::= value
        value ::= object | array | string | number | "true" | "false" | "null"
        object ::= "{" ws ( string ws ":" ws value ws ( "," ws string ws ":" ws value ws )* )? "}"
        array ::= "[" ws ( value ws ( "," ws value ws )* )? "]"
        string ::= "\"" ( [^"\\] | "\\" ["\\/bfnrt] )* "\""
        number ::= "-"? [0-9]+ ( "." [0-9]+ )?
        ws ::= [ \t\n]*
        """;

    [Theory]
    [InlineData("""{"a": [1, 2.5, {"b": null}], "c": "x\"y"}""", true)]
    [InlineData("""[[[[]]], {}, "ünïcödé ✓ 😀"]""", true)]
    [InlineData("""{"a": [1, 2}""", false)]
    [InlineData("""{"a" 1}""", false)]
    [InlineData("""["tab\q"]""", false)]
    public void Nested_json(string text, bool valid) => Assert.Equal(valid, Matches(Json, text));

    [Theory]
    [InlineData("root ::= [^a-z]", "é", true)]
    [InlineData("root ::= [^a-z]", "q", false)]
    [InlineData("root ::= [α-ω]+", "λόγος", false)] // ό is outside the range
    [InlineData("root ::= [α-ω]+", "λογος", true)]
    [InlineData("root ::= .{3}", "a😀b", true)]
    [InlineData("root ::= .{3}", "ab", false)]
    [InlineData("root ::= \"\\u00e9\\x41\"", "éA", true)]
    [InlineData("root ::= [\\x00-\\x7F]*", "plain ascii", true)]
    [InlineData("root ::= [\\x00-\\x7F]*", "naïve", false)]
    public void Characters_beyond_ascii_match_as_whole_utf8_sequences(string gbnf, string text, bool valid) =>
        Assert.Equal(valid, Matches(gbnf, text));

    [Fact]
    public void Every_scalar_of_a_random_range_is_in_its_utf8_class_and_its_neighbours_are_not()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 60; trial++)
        {
            // Ranges on either side of the surrogates, across the 1-, 2-, 3- and 4-byte encodings.
            bool below = random.Next(2) == 0;
            int low = below ? random.Next(0x21, 0xD000) : random.Next(0xE000, 0x10F000);
            int high = Math.Min(below ? 0xD7FF : Utf8Ranges.MaxScalar, low + random.Next(0, 70000));
            var grammar = CompiledGrammar.FromGbnf($"root ::= [\\U{low:X8}-\\U{high:X8}]");
            foreach (int probe in new[] { low, high, low + (high - low) / 3, low - 1, high + 1 })
            {
                if (probe is >= 0xD800 and <= 0xDFFF || probe > Utf8Ranges.MaxScalar)
                    continue;
                Assert.Equal(probe >= low && probe <= high, GrammarMatcher.Matches(grammar, char.ConvertFromUtf32(probe)));
            }
        }
    }

    [Theory]
    [InlineData("", "no rules")]
    [InlineData("expr ::= \"a\"", "no 'root' rule")]
    [InlineData("root ::= item", "rule 'item' is not defined")]
    [InlineData("root ::= \"a\"\nroot ::= \"b\"", "line 2, column 1: rule 'root' is defined twice")]
    [InlineData("root ::= \"abc", "line 1, column 10: the string literal is not closed")]
    [InlineData("root ::= [a-", "the character class is not closed")]
    [InlineData("root ::= [z-a]", "runs backwards")]
    [InlineData("root ::= \"a\"{3,1}", "maximum below its minimum")]
    [InlineData("root ::= \"a\"{5000}", "at most 1000")]
    [InlineData("root ::= root \"a\" | \"b\"", "left-recursive")]
    [InlineData("root ::= x\nx ::= \"a\" x", "can never finish")]
    [InlineData("root = \"a\"", "expected '::='")]
    [InlineData("root ::= \"\\q\"", "unknown escape")]
    [InlineData("root ::= (\"a\"", "expected ')'")]
    public void Bad_grammars_say_what_and_where(string gbnf, string message) =>
        Assert.Contains(message, Assert.Throws<GrammarException>(() => Grammar.Parse(gbnf)).Message);

    [Fact]
    public void Equal_inputs_reach_the_same_interned_state()
    {
        var grammar = CompiledGrammar.FromGbnf(Json);
        Assert.True(GrammarMatcher.Matches(grammar, """["aaaa", "bbbbbbbbbb"]"""));
        int states = grammar.Automaton.StateCount;
        Assert.True(GrammarMatcher.Matches(grammar, """["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaaaa"]"""));
        Assert.Equal(states, grammar.Automaton.StateCount); // longer strings, no new states: string content loops in one state
    }
}
