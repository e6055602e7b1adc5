using System.Diagnostics;
using Tessera.Runtime;

namespace Tessera.Cli.Bench;

/// <summary>
/// Measures prompt processing (one prompt of n tokens from an empty context) and generation (n single-token steps
/// from an empty context), each after one untimed warm-up run. Tokens are drawn at random from the vocabulary with a
/// fixed seed: speed does not depend on which tokens they are.
/// </summary>
public sealed class BenchRunner(Session session, int vocabularySize)
{
    /// <summary>Fixed seed so every run feeds the same tokens.</summary>
    private const int TokenSeed = 1234;

    public BenchResult PromptProcessing(int tokens, int repetitions)
    {
        int[] prompt = RandomTokens(tokens);
        var times = new double[repetitions];
        var firstToken = TimeSpan.Zero;
        for (int r = -1; r < repetitions; r++)
        {
            session.Clear();
            var clock = Stopwatch.StartNew();
            session.Append(prompt);
            _ = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(session.Logits);
            if (r >= 0)
            {
                times[r] = clock.Elapsed.TotalSeconds;
                firstToken += clock.Elapsed;
            }
        }
        return new BenchResult($"pp{tokens}", tokens, 0, times, firstToken / repetitions);
    }

    public BenchResult Generation(int tokens, int repetitions)
    {
        int[] generated = RandomTokens(tokens);
        var times = new double[repetitions];
        var firstToken = TimeSpan.Zero;
        for (int r = -1; r < repetitions; r++)
        {
            session.Clear();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < tokens; i++)
            {
                session.Append(generated[i]);
                if (i == 0 && r >= 0)
                    firstToken += clock.Elapsed;
            }
            if (r >= 0)
                times[r] = clock.Elapsed.TotalSeconds;
        }
        return new BenchResult($"tg{tokens}", 0, tokens, times, firstToken / repetitions);
    }

    private int[] RandomTokens(int count)
    {
        var random = new Random(TokenSeed);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocabularySize)).ToArray();
    }
}
