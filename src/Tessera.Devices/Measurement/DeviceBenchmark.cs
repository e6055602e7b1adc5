using System.Diagnostics;
using Tessera.Tensors;

namespace Tessera.Devices.Measurement;

/// <summary>
/// Measures a <see cref="DeviceSpeed"/> through the device's own operations, so one benchmark serves every backend.
/// Matrices are large enough (32 MiB) not to sit in a CPU cache, as a model's weights do not; their contents are a
/// small quantized tile repeated, which costs little to make and keeps every scale finite.
/// </summary>
public static unsafe class DeviceBenchmark
{
    /// <summary>Weight bytes of the matrix-vector benchmark matrix.</summary>
    public const long MatVecBytes = 32L << 20;

    private const int Columns = 2048;
    private const int MatMulRows = 512;
    private const int MatMulTokens = 32;
    private const int TransferFloats = 2 << 20;

    /// <summary>The weight types measured (those the device supports).</summary>
    public static readonly GgmlType[] Types =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL,
    ];

    public static DeviceSpeed Measure(ComputeDevice device)
    {
        lock (device.Gate)
            return MeasureAlone(device);
    }

    private static DeviceSpeed MeasureAlone(ComputeDevice device)
    {
        var matVec = new Dictionary<GgmlType, double>();
        var matMul = new Dictionary<GgmlType, double>();
        using var x = device.Upload(RandomValues(Columns * MatMulTokens, 1));
        using var y = device.Allocate(Math.Max(MatMulRows * MatMulTokens, (int)(MatVecBytes / 64)));
        foreach (var type in Types)
        {
            if (!device.Supports(DeviceOp.MatVec, type) || !Quantization.CanQuantize(type))
                continue;
            long rowBytes = GgmlTypeTraits.Of(type).BytesFor(Columns);
            int rows = (int)(MatVecBytes / rowBytes);
            using (var matrix = Upload(device, type, rows))
            {
                double seconds = Time(device, () => device.Linear(matrix, x.Slice(0, Columns), 1, y.Slice(0, rows)));
                matVec[type] = rows * rowBytes / seconds;
            }
            if (!device.Supports(DeviceOp.MatMul, type))
                continue;
            using (var matrix = Upload(device, type, MatMulRows))
            {
                double seconds = Time(device, () => device.Linear(matrix, x.All, MatMulTokens, y.Slice(0, MatMulRows * MatMulTokens)));
                matMul[type] = 2.0 * MatMulRows * Columns * MatMulTokens / seconds;
            }
        }

        var host = RandomValues(TransferFloats, 2);
        using var buffer = device.Allocate(TransferFloats);
        double write = Time(device, () => device.Write(buffer.All, host));
        double read = Time(device, () => device.Read(buffer.All, host));
        using var tiny = Upload(device, GgmlType.F32, 1);
        double operation = Time(device, () => device.Linear(tiny, x.Slice(0, Columns), 1, y.Slice(0, 1)), repeats: 50);
        return new DeviceSpeed
        {
            MatVecBytesPerSecond = matVec,
            MatMulFlopsPerSecond = matMul,
            HostToDeviceBytesPerSecond = TransferFloats * 4.0 / write,
            DeviceToHostBytesPerSecond = TransferFloats * 4.0 / read,
            OperationSeconds = operation,
            MeasuredAt = DateTime.UtcNow,
        };
    }

    /// <summary>Fastest seconds of one call over <paramref name="repeats"/> timed calls after one warm-up: other load
    /// on the machine only ever slows a call, and the result is cached, so a busy moment must not fix a device's
    /// speed at a fraction of what it can do (a median once recorded an AVX2 CPU at 0.2 GB/s for Q4_K).</summary>
    private static double Time(ComputeDevice device, Action action, int repeats = 5)
    {
        action();
        device.Synchronize();
        var samples = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            device.Synchronize();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        return Math.Max(samples.Min(), 1e-9);
    }

    /// <summary>A [rows, Columns] matrix of <paramref name="type"/>: 16 quantized random rows repeated.</summary>
    private static Benchmarked Upload(ComputeDevice device, GgmlType type, int rows)
    {
        const int tileRows = 16;
        long rowBytes = GgmlTypeTraits.Of(type).BytesFor(Columns);
        var tile = new byte[tileRows * rowBytes];
        Quantization.Quantize(type, RandomValues(tileRows * Columns, 3), tile);
        // Pinned for the matrix's lifetime: the CPU reads host matrices where they lie.
        var data = GC.AllocateUninitializedArray<byte>((int)(rows * rowBytes), pinned: true);
        for (long offset = 0; offset < data.Length; offset += tile.Length)
            tile.AsSpan(0, (int)Math.Min(tile.Length, data.Length - offset)).CopyTo(data.AsSpan((int)offset));
        fixed (byte* p = data)
            return new Benchmarked(device.UploadMatrix($"benchmark.{type}", type, p, rows, Columns), data);
    }

    /// <summary>A benchmark matrix and the host bytes it may read in place.</summary>
    private sealed class Benchmarked(DeviceMatrix matrix, byte[] data) : IDisposable
    {
        public DeviceMatrix Matrix { get; } = matrix;

        public static implicit operator MatrixRows(Benchmarked b) => b.Matrix.AllRows;

        public void Dispose()
        {
            Matrix.Dispose();
            GC.KeepAlive(data);
        }
    }

    private static float[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
