using System.Text;

namespace Tessera.Tokenizers;

/// <summary>
/// Decodes generated tokens one at a time. A character whose UTF-8 bytes are spread over several
/// tokens (byte-fallback or byte-level pieces) is held back until its last byte arrives, so every
/// returned string holds only whole characters. Not thread-safe: one decoder per stream.
/// </summary>
public sealed class StreamingDecoder
{
    /// <summary>A UTF-8 character is at most 4 bytes, so at most 3 can be waiting for the rest.</summary>
    private const int MaxPendingBytes = 3;

    private readonly Tokenizer _tokenizer;
    private readonly bool _renderSpecial;
    private readonly byte[] _pending = new byte[MaxPendingBytes];
    private int _pendingCount;

    internal StreamingDecoder(Tokenizer tokenizer, bool renderSpecial)
    {
        _tokenizer = tokenizer;
        _renderSpecial = renderSpecial;
    }

    /// <summary>Adds one token; returns the text that is now complete (possibly empty).</summary>
    public string Append(int id)
    {
        var piece = _tokenizer.PieceBytes(id, _renderSpecial);
        if (piece.Length == 0)
            return string.Empty;
        var bytes = new byte[_pendingCount + piece.Length];
        _pending.AsSpan(0, _pendingCount).CopyTo(bytes);
        piece.CopyTo(bytes, _pendingCount);

        int complete = bytes.Length - IncompleteTailLength(bytes);
        _pendingCount = bytes.Length - complete;
        bytes.AsSpan(complete).CopyTo(_pending);
        return Encoding.UTF8.GetString(bytes, 0, complete);
    }

    /// <summary>Returns whatever is still held back (an unfinished character becomes U+FFFD) and resets.</summary>
    public string Flush()
    {
        string rest = Encoding.UTF8.GetString(_pending, 0, _pendingCount);
        _pendingCount = 0;
        return rest;
    }

    /// <summary>
    /// Length of a trailing multi-byte sequence that has started but not finished: find the last lead
    /// byte within the final 3 bytes and compare the length it announces with the bytes present.
    /// </summary>
    private static int IncompleteTailLength(ReadOnlySpan<byte> bytes)
    {
        for (int back = 1; back <= Math.Min(MaxPendingBytes, bytes.Length); back++)
        {
            byte b = bytes[^back];
            if ((b & 0b1100_0000) == 0b1000_0000)
                continue; // continuation byte: keep looking for the lead
            int announced = (b & 0b1110_0000) == 0b1100_0000 ? 2
                : (b & 0b1111_0000) == 0b1110_0000 ? 3
                : (b & 0b1111_1000) == 0b1111_0000 ? 4
                : 1;
            return announced > back ? back : 0;
        }
        return 0;
    }
}
