using System.Collections.Concurrent;

namespace Tessera.Runtime.Grammars;

/// <summary>
/// A grammar ready to constrain generations: the compiled rules and their automaton, whose cached states and token
/// masks every generation with the same grammar shares. <see cref="FromGbnf"/> keeps the most recent ones by text, so
/// a server asked for the same schema again starts with warm masks.
/// </summary>
public sealed class CompiledGrammar
{
    private const int MaxCached = 32;
    private static readonly ConcurrentDictionary<string, CompiledGrammar> Cache = new(StringComparer.Ordinal);

    private CompiledGrammar(Grammar grammar)
    {
        Grammar = grammar;
        Automaton = new GrammarAutomaton(grammar);
    }

    public Grammar Grammar { get; }
    internal GrammarAutomaton Automaton { get; }

    /// <summary>Compiles (or finds) GBNF text; <see cref="GrammarException"/> says where it fails.</summary>
    public static CompiledGrammar FromGbnf(string gbnf)
    {
        if (Cache.TryGetValue(gbnf, out var known))
            return known;
        var compiled = new CompiledGrammar(Grammar.Parse(gbnf));
        if (Cache.Count >= MaxCached)
            Cache.Clear();
        Cache[gbnf] = compiled;
        return compiled;
    }

    /// <summary>Compiles a JSON schema (see <see cref="JsonSchemaGrammar"/>).</summary>
    public static CompiledGrammar FromJsonSchema(System.Text.Json.JsonElement schema) => FromGbnf(JsonSchemaGrammar.ToGbnf(schema));

    /// <summary>Any JSON object (the "json_object" response format).</summary>
    public static CompiledGrammar JsonObject => FromGbnf(JsonSchemaGrammar.AnyObjectGbnf);
}
