using Tessera.Tokenizers;

namespace Tessera.Runtime.Grammars;

/// <summary>
/// Constrained decoding for one generation: before each sample <see cref="Apply"/> leaves finite only the logits of
/// tokens that keep the output inside the grammar (end-of-generation only where the output is complete), and after it
/// <see cref="Accept"/> moves on by the chosen token's bytes. Given the tokens still allowed, it also keeps the output
/// finishable: a token is allowed only if what must follow it fits the remaining budget (each byte has a token in the
/// vocabularies we load), so a generation cut by max_tokens still ends as a complete sentence of the grammar.
/// </summary>
public sealed class GrammarMatcher
{
    private readonly CompiledGrammar _grammar;
    private readonly Tokenizer _tokenizer;
    private readonly TokenTrie _trie;
    private GrammarState _state;
    private float[] _kept = [];

    public GrammarMatcher(CompiledGrammar grammar, Tokenizer tokenizer)
    {
        _grammar = grammar;
        _tokenizer = tokenizer;
        _trie = TokenTrie.For(tokenizer);
        _state = grammar.Automaton.Start;
    }

    /// <summary>The output so far is a complete sentence of the grammar.</summary>
    public bool IsAccepting => _state.Accepting;

    /// <summary>Complete, and nothing may follow: generation should end.</summary>
    public bool IsComplete => _state.IsComplete;

    /// <summary>Fewest bytes that would complete the output.</summary>
    public int BytesToComplete => _state.MinBytes;

    /// <summary>
    /// Sets the logits of disallowed tokens to -infinity. <paramref name="tokensLeft"/> counts this token too. When the
    /// budget cannot hold a completion any more, the tokens that come closest stay allowed.
    /// </summary>
    public void Apply(Span<float> logits, int tokensLeft)
    {
        var mask = _grammar.Automaton.MaskOf(_state, _trie);
        int budget = Math.Max(0, tokensLeft - 1);
        int count = mask.CountWithin(budget);
        if (count == 0 && !_state.Accepting && mask.Tokens.Length > 0)
            count = mask.CountWithin(mask.MinBytesAfter[0]);
        if (_kept.Length < count)
            _kept = new float[Math.Max(count, _kept.Length * 2)];
        for (int i = 0; i < count; i++)
            _kept[i] = logits[mask.Tokens[i]];
        Span<float> endLogits = stackalloc float[Math.Min(_tokenizer.EndOfGenerationIds.Count, 16)];
        int ends = 0;
        if (_state.Accepting)
        {
            foreach (int id in _tokenizer.EndOfGenerationIds)
            {
                if (ends < endLogits.Length && id < logits.Length)
                    endLogits[ends++] = logits[id];
            }
        }
        logits.Fill(float.NegativeInfinity);
        for (int i = 0; i < count; i++)
            logits[mask.Tokens[i]] = _kept[i];
        ends = 0;
        if (_state.Accepting)
        {
            foreach (int id in _tokenizer.EndOfGenerationIds)
            {
                if (ends < endLogits.Length && id < logits.Length)
                    logits[id] = endLogits[ends++];
            }
        }
    }

    /// <summary>Moves on by a generated token; false (and no move) when the grammar does not allow it.</summary>
    public bool Accept(int token)
    {
        if (_tokenizer.EndOfGenerationIds.Contains(token))
            return _state.Accepting;
        var state = _state;
        foreach (byte b in _tokenizer.TokenBytes(token))
        {
            state = _grammar.Automaton.Advance(state, b);
            if (state.IsDead)
                return false;
        }
        _state = state;
        return true;
    }

    /// <summary>Whether the grammar accepts <paramref name="text"/> as a whole sentence (no model involved).</summary>
    public static bool Matches(CompiledGrammar grammar, string text)
    {
        var state = grammar.Automaton.Start;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            state = grammar.Automaton.Advance(state, b);
            if (state.IsDead)
                return false;
        }
        return state.Accepting;
    }
}
