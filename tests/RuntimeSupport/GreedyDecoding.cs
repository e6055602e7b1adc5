using Tessera.Runtime;

namespace Tessera.Testing;

/// <summary>One sequence decoded greedily after a prompt given in one pass: the tokens chosen and the logits that chose
/// each. Linked into the test projects that run a context.</summary>
public static class GreedyDecoding
{
    /// <returns>each step's chosen token and the logits it was chosen from</returns>
    public static (List<int> Tokens, List<float[]> Logits) Run(InferenceContext context, IReadOnlyList<int> prompt, int steps)
    {
        using var session = context.CreateSession();
        session.Append(prompt.ToArray());
        var tokens = new List<int>();
        var logits = new List<float[]>();
        for (int i = 0; i < steps; i++)
        {
            logits.Add(session.Logits.ToArray());
            tokens.Add(Logits.ArgMax(session.Logits));
            session.Append(tokens[^1]);
        }
        return (tokens, logits);
    }
}
