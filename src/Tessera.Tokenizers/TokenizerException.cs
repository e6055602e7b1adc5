namespace Tessera.Tokenizers;

/// <summary>
/// The one error type of the tokenizer boundary: bad tokenizer metadata (unknown model or
/// pre-tokenizer, missing arrays, inconsistent lengths) or a token id outside the vocabulary.
/// </summary>
public sealed class TokenizerException : Exception
{
    public TokenizerException(string message) : base(message) { }

    public TokenizerException(string message, Exception innerException) : base(message, innerException) { }
}
