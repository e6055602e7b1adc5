namespace Tessera.ChatTemplates.Values;

/// <summary>Python strings index by code point; .NET strings by UTF-16 unit. These helpers bridge the two.</summary>
internal static class CodePoints
{
    public static bool HasSurrogates(string s) => s.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    public static int Length(string s)
    {
        if (!HasSurrogates(s)) return s.Length;
        var count = 0;
        for (var i = 0; i < s.Length; i++, count++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
        }
        return count;
    }

    /// <summary>The string as one string per code point (a surrogate pair stays together).</summary>
    public static string[] Split(string s)
    {
        if (!HasSurrogates(s)) return s.Select(c => c.ToString()).ToArray();
        var parts = new List<string>(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var pair = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]);
            parts.Add(s.Substring(i, pair ? 2 : 1));
            if (pair) i++;
        }
        return [.. parts];
    }
}
