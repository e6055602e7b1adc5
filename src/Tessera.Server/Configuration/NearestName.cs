namespace Tessera.Server.Configuration;

/// <summary>The known name a misspelt one was probably meant to be (for "did you mean ...?").</summary>
internal static class NearestName
{
    /// <summary>Most edits that still count as a typo: more would suggest unrelated names.</summary>
    private const int MaxEdits = 2;

    public static string? Find(string name, IEnumerable<string> known) => known
        .Select(candidate => (Candidate: candidate, Distance: Distance(name, candidate)))
        .Where(pair => pair.Distance <= MaxEdits)
        .OrderBy(pair => pair.Distance)
        .Select(pair => pair.Candidate)
        .FirstOrDefault();

    /// <summary>Levenshtein distance (insertions, deletions, substitutions), ignoring case.</summary>
    internal static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
