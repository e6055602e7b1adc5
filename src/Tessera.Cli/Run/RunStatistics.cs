using System.Globalization;

namespace Tessera.Cli.Run;

/// <summary>The timing summary `tessera run` prints on stderr.</summary>
public static class RunStatistics
{
    public static void Write(TextWriter error, TimeSpan loadTime, int promptTokens, TimeSpan promptTime, int generatedTokens, TimeSpan generationTime)
    {
        var c = CultureInfo.InvariantCulture;
        error.WriteLine();
        error.WriteLine(string.Format(c, "load: {0:F0} ms", loadTime.TotalMilliseconds));
        error.WriteLine(string.Format(c, "prompt: {0} tokens in {1:F0} ms ({2:F2} tokens/s)", promptTokens, promptTime.TotalMilliseconds, Rate(promptTokens, promptTime)));
        error.WriteLine(string.Format(c, "generation: {0} tokens in {1:F0} ms ({2:F2} tokens/s)", generatedTokens, generationTime.TotalMilliseconds, Rate(generatedTokens, generationTime)));
    }

    private static double Rate(int tokens, TimeSpan time) => time.TotalSeconds > 0 ? tokens / time.TotalSeconds : 0;
}
