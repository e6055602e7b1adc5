using System.Runtime.InteropServices;
using Tessera.Tensors;

namespace Tessera.Benchmarks.Kernels;

/// <summary>
/// A [rows, k] weight matrix in a given type, in 64-byte aligned native memory like a mapped file. Quantizing a
/// whole large matrix with the reference quantizers takes long, so a few random rows are quantized and tiled:
/// the kernels' speed does not depend on which valid blocks they read, and the matrix is far larger than cache.
/// </summary>
internal sealed unsafe class WeightMatrix : IDisposable
{
    /// <summary>Distinct random rows quantized; the rest repeat them.</summary>
    private const int DistinctRows = 16;

    public WeightMatrix(GgmlType type, int rows, int k, int seed = 1234)
    {
        Type = type;
        Rows = rows;
        K = k;
        RowBytes = GgmlTypeTraits.Of(type).BytesFor(k);
        Bytes = RowBytes * rows;
        Data = (byte*)NativeMemory.AlignedAlloc((nuint)Bytes, 64);
        var random = new Random(seed);
        var row = new float[k];
        var encoded = new byte[RowBytes * DistinctRows];
        for (int r = 0; r < DistinctRows; r++)
        {
            for (int i = 0; i < k; i++)
                row[i] = (float)(random.NextDouble() * 2 - 1) * 0.05f;
            Quantization.Quantize(type, row, encoded.AsSpan((int)(r * RowBytes), (int)RowBytes));
        }
        for (int r = 0; r < rows; r++)
            encoded.AsSpan((int)(r % DistinctRows * RowBytes), (int)RowBytes).CopyTo(new Span<byte>(Data + r * RowBytes, (int)RowBytes));
    }

    public GgmlType Type { get; }

    public int Rows { get; }

    public int K { get; }

    public long RowBytes { get; }

    public long Bytes { get; }

    public byte* Data { get; }

    public static float[] RandomActivations(int count, int seed = 99)
    {
        var random = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(random.NextDouble() * 2 - 1);
        return x;
    }

    public void Dispose() => NativeMemory.AlignedFree(Data);
}
