namespace Tessera.Tokenizers;

/// <summary>Token kinds as stored in `tokenizer.ggml.token_type` (values fixed by the format).</summary>
public enum TokenType
{
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
