using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Tessera.Tokenizers;

/// <summary>
/// Splits text into words before byte-level BPE. A pre-tokenizer is a list of regular expressions
/// applied in turn: each one cuts every piece left by the previous one into its matches and the gaps
/// between them (gaps are kept as pieces too, so no text is ever dropped). Every piece is matched as
/// a string of its own: anchors and lookarounds never see past the piece. Characters outside the
/// Basic Multilingual Plane are handled through <see cref="SupplementaryPlaneFolding"/>.
/// </summary>
internal sealed class PreTokenizer
{
    private static readonly ConcurrentDictionary<string, PreTokenizer> Cache = new(StringComparer.Ordinal);

    private readonly Regex[] _splits;

    private PreTokenizer(string name, string[] patterns, bool mergesWholeWords)
    {
        Name = name;
        MatchesWholeWordsFirst = mergesWholeWords;
        _splits = patterns.Select(p => new Regex(p, RegexOptions.Compiled | RegexOptions.CultureInvariant)).ToArray();
    }

    public string Name { get; }

    /// <summary>Llama 3 style: a word that is itself a token is taken whole, skipping the merges.</summary>
    public bool MatchesWholeWordsFirst { get; }

    /// <summary>The pre-tokenizer for a `tokenizer.ggml.pre` name; null or empty means "default".</summary>
    public static PreTokenizer ForName(string? name)
    {
        string key = string.IsNullOrEmpty(name) ? "default" : name;
        if (!PreTokenizerPatterns.TryGet(key, out var patterns, out bool wholeWords))
            throw new TokenizerException($"unknown pre-tokenizer '{key}' (tokenizer.ggml.pre); supported: {string.Join(", ", PreTokenizerPatterns.Names)}");
        return Cache.GetOrAdd(key, k => new PreTokenizer(k, patterns, wholeWords));
    }

    /// <summary>The words of <paramref name="text"/> as (start, length) ranges, in order, covering all of it.</summary>
    public List<(int Start, int Length)> Split(ReadOnlySpan<char> text)
    {
        if (!SupplementaryPlaneFolding.IsNeeded(text))
            return SplitCodeUnits(text);
        string folded = SupplementaryPlaneFolding.Fold(text, out int[] starts);
        var pieces = SplitCodeUnits(folded);
        for (int i = 0; i < pieces.Count; i++)
        {
            var (start, length) = pieces[i];
            pieces[i] = (starts[start], starts[start + length] - starts[start]);
        }
        return pieces;
    }

    /// <summary>Splits text in which every UTF-16 code unit is a whole character.</summary>
    private List<(int Start, int Length)> SplitCodeUnits(ReadOnlySpan<char> text)
    {
        var pieces = new List<(int Start, int Length)>();
        if (text.IsEmpty)
            return pieces;
        pieces.Add((0, text.Length));
        foreach (var regex in _splits)
        {
            var next = new List<(int Start, int Length)>(pieces.Count * 2);
            foreach (var (start, length) in pieces)
                SplitPiece(regex, text.Slice(start, length), start, next);
            pieces = next;
        }
        return pieces;
    }

    private static void SplitPiece(Regex regex, ReadOnlySpan<char> piece, int offset, List<(int Start, int Length)> output)
    {
        int consumed = 0;
        foreach (var match in regex.EnumerateMatches(piece))
        {
            if (match.Length == 0)
                continue;
            if (match.Index > consumed)
                output.Add((offset + consumed, match.Index - consumed));
            output.Add((offset + match.Index, match.Length));
            consumed = match.Index + match.Length;
        }
        if (consumed < piece.Length)
            output.Add((offset + consumed, piece.Length - consumed));
    }
}
