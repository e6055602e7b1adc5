using Tessera.Tensors;

namespace Tessera.Cli.Quantize;

/// <summary>Fills one row of a tensor with F32 values; called from several threads at once for different rows.</summary>
public delegate void RowSource(long row, Span<float> destination);

/// <summary>
/// Encodes a tensor row by row into a target type and streams the bytes out, in chunks that are
/// converted in parallel: the path shared by `quantize` (rows read from a model) and `synth` (random rows).
/// </summary>
public static class TensorEncoder
{
    /// <summary>Output bytes converted per chunk: large enough to amortise the parallel loop, small enough for the cache-friendly reuse of buffers.</summary>
    private const long ChunkBytes = 8 << 20;

    public static void Encode(Stream output, GgmlType target, long rowLength, long rowCount, RowSource source, Action<long>? rowsDone = null)
    {
        if (rowLength <= 0 || rowLength > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(rowLength), rowLength, "row length out of range");
        int rowBytes = checked((int)GgmlTypeTraits.Of(target).BytesFor(rowLength));
        int rowsPerChunk = (int)Math.Clamp(ChunkBytes / Math.Max(rowBytes, rowLength * sizeof(float)), 1, Math.Max(1, rowCount));
        var buffer = new byte[checked(rowsPerChunk * rowBytes)];

        for (long start = 0; start < rowCount; start += rowsPerChunk)
        {
            int count = (int)Math.Min(rowsPerChunk, rowCount - start);
            long first = start;
            Parallel.For(0, count,
                () => new float[rowLength],
                (i, _, row) =>
                {
                    source(first + i, row);
                    Quantization.Quantize(target, row, buffer.AsSpan(i * rowBytes, rowBytes));
                    return row;
                },
                _ => { });
            output.Write(buffer, 0, count * rowBytes);
            rowsDone?.Invoke(count);
        }
    }
}
