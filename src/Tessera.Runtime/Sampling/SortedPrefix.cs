namespace Tessera.Runtime.Sampling;

/// <summary>
/// A prefix of the vocabulary ranked by logit (descending, ties to the lower id), named by its last member: id i is
/// inside iff logit_i > <see cref="Logit"/>, or logit_i == <see cref="Logit"/> and i &lt;= <see cref="LastId"/>.
/// Top-k, top-p and min-p all keep such a prefix, so a boundary replaces a sorted list of survivors.
/// </summary>
internal readonly record struct SortedPrefix(float Logit, int LastId)
{
    /// <summary>The whole vocabulary (NaN logits having been replaced by -inf).</summary>
    public static SortedPrefix Everything => new(float.NegativeInfinity, int.MaxValue);

    public bool IsEverything => Logit == float.NegativeInfinity && LastId == int.MaxValue;

    public bool Contains(float logit, int id) => logit > Logit || (logit == Logit && id <= LastId);
}
