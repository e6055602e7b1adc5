using System.Text;
using Tessera.Tokenizers;

namespace Tessera.Server.Endpoints;

/// <summary>A token's text and UTF-8 bytes as logprobs report them (a piece holding part of a character shows U+FFFD in the text).</summary>
internal static class TokenPieces
{
    public static (string Text, int[] Bytes) Of(Tokenizer tokenizer, int id)
    {
        byte[] bytes = tokenizer.TokenBytes(id);
        return (Encoding.UTF8.GetString(bytes), Array.ConvertAll(bytes, b => (int)b));
    }
}
