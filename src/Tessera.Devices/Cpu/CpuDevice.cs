using System.Numerics.Tensors;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels;
using Tessera.Kernels.Attention;
using Tessera.Kernels.Quants.Q8_0;
using Tessera.Kernels.Elementwise;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Devices.Cpu;

/// <summary>
/// The host processor as a device: our SIMD kernels on host memory, split over the kernel thread pool. Matrices are
/// read where they lie (no copy), so placing a layer here costs no memory beyond its KV cache. Every weight type
/// with a CPU kernel is supported; this is the device every plan can fall back to. Tests derive from it to simulate an
/// accelerator that computes exactly like the CPU.
/// </summary>
public unsafe class CpuDevice(KernelThreadPool pool) : ComputeDevice
{
    private static readonly Lazy<string> CpuModel = new(ReadCpuModel);

    public KernelThreadPool Pool { get; } = pool;

    public override string Name => "cpu";
    public override DeviceKind Kind => DeviceKind.Cpu;
    public override string Description => $"{CpuModel.Value}, {Pool.ThreadCount} threads, {IsaName}";
    public override string DriverVersion => $".NET {Environment.Version} {IsaName} {Pool.ThreadCount}t";
    public override int ComputeUnits => Pool.ThreadCount;
    public override long MemoryTotal => HostMemory.Read().Total;
    public override long MemoryFree => HostMemory.Read().Available;

    /// <summary>The widest vector ISA the kernels dispatch to here.</summary>
    public static string IsaName => Avx512BW.IsSupported ? (Avx512Vbmi.IsSupported ? "AVX-512 VBMI" : "AVX-512") : Avx2.IsSupported ? "AVX2" : "Vector128";

    public override bool Supports(DeviceOp op, GgmlType weightType) => op switch
    {
        DeviceOp.MatVec or DeviceOp.MatMul or DeviceOp.MoeExperts => MatVec.Supports(weightType),
        _ => true,
    };

    public override DeviceBuffer Allocate(int length) => new HostBuffer(this, length);

    public override DeviceMatrix UploadMatrix(string name, GgmlType type, byte* data, long rows, int columns)
    {
        if (!MatVec.Supports(type))
            throw new NotSupportedException($"tensor {name}: type {type} has no CPU matrix kernel");
        return new HostMatrix(this, name, type, data, rows, columns);
    }

    public override bool SupportsKvType(GgmlType elementType) => elementType is GgmlType.F16 or GgmlType.F32 or GgmlType.Q8_0;

    public override DeviceKvLayer CreateKvLayer(int kvHeadCount, int headDim, int pageSize, int pageCount, GgmlType elementType) =>
        new HostKvLayer(this, kvHeadCount, headDim, pageSize, pageCount, elementType);

    public override void Write(DeviceSpan destination, ReadOnlySpan<float> source) => source.CopyTo(Host(destination));

    public override void Read(DeviceSpan source, Span<float> destination) => Host(source).CopyTo(destination);

    public override void Clear(DeviceSpan destination) => Host(destination).Clear();

    public override void Linear(MatrixRows weight, DeviceSpan x, int tokens, DeviceSpan y) =>
        Linear(weight, x, tokens, Host(y).Slice(0, tokens * weight.Count));

    public override void LinearToHost(MatrixRows weight, DeviceSpan x, int tokens, Span<float> y) => Linear(weight, x, tokens, y);

    /// <summary>MatMul makes the one choice between the matrix-vector (one token) and matrix-matrix kernels.</summary>
    private void Linear(in MatrixRows weight, DeviceSpan x, int tokens, Span<float> y)
    {
        var matrix = (HostMatrix)weight.Matrix;
        int k = matrix.Columns;
        MatMul.Compute(matrix.Type, matrix.RowsStart(weight), weight.Count, k, Host(x)[..(tokens * k)], tokens, y, Pool);
    }

    /// <summary>Products over the same x in one pass where the kernels allow (one token: one fused matrix-vector pass,
    /// x quantized once, one pool synchronisation; many tokens: one shared float or int8 panel pass, see
    /// <see cref="MatMul.ComputeShared"/>).</summary>
    public override void LinearShared(DeviceSpan x, int tokens, ReadOnlySpan<LinearTarget> targets)
    {
        int k = targets[0].Weight.Matrix.Columns;
        bool fusable = targets.Length <= MatVec.MaxSharedTargets;
        foreach (var target in targets)
            fusable &= target.Weight.Matrix.Columns == k;
        if (!fusable)
        {
            base.LinearShared(x, tokens, targets);
            return;
        }
        Span<MatVecTarget> fused = stackalloc MatVecTarget[targets.Length];
        for (int i = 0; i < targets.Length; i++)
        {
            var (weight, output, rotary) = targets[i];
            var matrix = (HostMatrix)weight.Matrix;
            if (output.Length < (long)weight.Count * tokens)
                throw new ArgumentException($"output has {output.Length} entries, {(long)weight.Count * tokens} needed", nameof(targets));
            fused[i] = new MatVecTarget(matrix.Type, matrix.RowsStart(weight), weight.Count, HostPointer(output), rotary: rotary);
        }
        MatMul.ComputeShared(fused, k, Host(x)[..(tokens * k)], tokens, Pool);
    }

    /// <summary>One token: the SwiGLU activation goes straight into the down projection's quantized input
    /// (<see cref="MatVec.ComputeGated"/>); many tokens: activation, then the matrix-matrix product.</summary>
    public override void LinearGated(MatrixRows weight, DeviceSpan gate, DeviceSpan up, int tokens, DeviceSpan y)
    {
        if (tokens != 1)
        {
            base.LinearGated(weight, gate, up, tokens, y);
            return;
        }
        var matrix = (HostMatrix)weight.Matrix;
        int k = matrix.Columns;
        MatVec.ComputeGated(matrix.Type, matrix.RowsStart(weight), weight.Count, k, Host(gate)[..k], Host(up)[..k], Host(y)[..weight.Count], Pool);
    }

    /// <summary>
    /// Expert tensor parallelism: the rows of every product are split over all kernel threads as one work list (one
    /// synchronisation), instead of one product at a time with a barrier each, so both cores stay busy when only a
    /// few small experts are active. Products with the same row length go together, up to
    /// <see cref="MatVec.MaxSharedTargets"/> per pass.
    /// </summary>
    public override void LinearEach(ReadOnlySpan<LinearProduct> products)
    {
        Span<MatVecTarget> fused = stackalloc MatVecTarget[MatVec.MaxSharedTargets];
        for (int start = 0; start < products.Length;)
        {
            int k = products[start].Weight.Matrix.Columns;
            int count = 0;
            int end = start;
            while (end < products.Length && count < fused.Length && products[end].Weight.Matrix.Columns == k)
            {
                var (weight, x, output) = products[end];
                var matrix = (HostMatrix)weight.Matrix;
                if (output.Length < weight.Count || x.Length < k)
                    throw new ArgumentException($"product {end}: input or output is shorter than {matrix.Name} needs", nameof(products));
                fused[count++] = new MatVecTarget(matrix.Type, matrix.RowsStart(weight), weight.Count, HostPointer(output), HostPointer(x));
                end++;
            }
            MatVec.ComputeShared(fused[..count], k, ReadOnlySpan<float>.Empty, Pool);
            start = end;
        }
    }

    /// <summary>
    /// Load-balanced expert scheduling for batches: every product's row shards are packed onto the kernel threads
    /// longest first and run as one operation (<see cref="GroupedMatMul"/>), so experts with very different token
    /// counts keep every thread busy without a barrier per expert.
    /// </summary>
    public override void LinearGrouped(ReadOnlySpan<GroupedLinear> products)
    {
        if (_grouped.Length < products.Length)
            _grouped = new GroupedProduct[Math.Max(products.Length, 2 * _grouped.Length)];
        for (int i = 0; i < products.Length; i++)
        {
            var (weight, x, tokens, output, shards) = products[i];
            var matrix = (HostMatrix)weight.Matrix;
            if (output.Length < (long)tokens * weight.Count || x.Length < (long)tokens * matrix.Columns)
                throw new ArgumentException($"product {i}: input or output is shorter than {matrix.Name} needs for {tokens} tokens", nameof(products));
            _grouped[i] = new GroupedProduct(matrix.Type, matrix.RowsStart(weight), weight.Count, matrix.Columns, HostPointer(x), tokens, HostPointer(output), shards);
        }
        var packing = GroupedMatMul.Compute(_grouped.AsSpan(0, products.Length), Pool);
        GroupedPackings = GroupedPackings.Add(packing);
    }

    private GroupedProduct[] _grouped = new GroupedProduct[64];

    /// <summary>What the grouped products' packing estimated, summed over every call since the device was made.</summary>
    public PackingTotals GroupedPackings { get; private set; }

    public override void RmsNorm(DeviceSpan x, DeviceBuffer weight, float epsilon, DeviceSpan y) =>
        Kernels.Elementwise.RmsNorm.ApplyRows(Host(x), Host(weight.All), epsilon, Host(y));

    public override void AddRmsNorm(DeviceSpan x, DeviceSpan residual, DeviceBuffer weight, float epsilon, DeviceSpan y) =>
        Kernels.Elementwise.RmsNorm.AddApplyRows(Host(x), Host(residual), Host(weight.All), epsilon, Host(y));

    public override void AddRows(DeviceSpan y, DeviceBuffer bias)
    {
        var values = Host(y);
        var b = Host(bias.All);
        for (int offset = 0; offset < values.Length; offset += b.Length)
            TensorPrimitives.Add(values.Slice(offset, b.Length), b, values.Slice(offset, b.Length));
    }

    public override void Rope(DeviceSpan x, int tokens, int headCount, int headDim, int firstPosition, in RopeOptions options)
    {
        var values = Host(x);
        int width = headCount * headDim;
        for (int t = 0; t < tokens; t++)
            Kernels.Elementwise.Rope.Apply(values.Slice(t * width, width), headCount, headDim, firstPosition + t, options);
    }

    public override unsafe void Attention(DeviceKvLayer cache, GgmlType cellType, ReadOnlySpan<int> pages, int firstPosition, int tokens, int headCount,
        DeviceSpan q, DeviceSpan k, DeviceSpan v, DeviceSpan output)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(firstPosition);
        if (!SupportsKvType(cellType))
            throw new NotSupportedException($"KV cells of type {cellType} are not supported");
        cache.CheckPages(pages, (long)firstPosition + tokens, cache.PageCellsFor(cellType));
        fixed (int* table = pages)
        {
            var view = ((HostKvLayer)cache).View(table, cellType);
            int width = cache.KvHeadCount * cache.HeadDim;
            var keys = Host(k);
            var values = Host(v);
            for (int t = 0; t < tokens; t++)
                Store(view, firstPosition + t, keys.Slice(t * width, width), values.Slice(t * width, width));
            ScaledDotProductAttention.Compute(Host(q), tokens, headCount, view, firstPosition, Host(output), Pool);
        }
    }

    /// <summary>Writes one token's keys and values [n_head_kv * head_dim] at <paramref name="position"/>.</summary>
    private static unsafe void Store(in KvCacheView view, int position, ReadOnlySpan<float> k, ReadOnlySpan<float> v)
    {
        if (view.Type == GgmlType.Q8_0)
        {
            // Cells are whole head rows of 32-value blocks, so the token's row quantizes as one run of blocks.
            fixed (float* keys = k)
            fixed (float* values = v)
            {
                Q8_0Rows.Quantize(keys, k.Length, view.KeyRow(position, 0));
                Q8_0Rows.Quantize(values, v.Length, view.ValueRow(position, 0));
            }
        }
        else if (view.Type == GgmlType.F16)
        {
            HalfConversion.ToHalf(k, new Span<ushort>(view.KeyRow(position, 0), k.Length));
            HalfConversion.ToHalf(v, new Span<ushort>(view.ValueRow(position, 0), v.Length));
        }
        else
        {
            k.CopyTo(new Span<float>(view.KeyRow(position, 0), k.Length));
            v.CopyTo(new Span<float>(view.ValueRow(position, 0), v.Length));
        }
    }

    public override void SwiGlu(DeviceSpan gate, DeviceSpan up, DeviceSpan output) =>
        Kernels.Elementwise.SwiGlu.Apply(Host(gate), Host(up), Host(output));

    public override void Add(DeviceSpan x, DeviceSpan y) => TensorPrimitives.Add(Host(x), Host(y), Host(x));

    public override void Softmax(DeviceSpan x, int rowLength)
    {
        var values = Host(x);
        for (int offset = 0; offset < values.Length; offset += rowLength)
            Kernels.Elementwise.Softmax.Apply(values.Slice(offset, rowLength));
    }

    public override void GatherRows(DeviceSpan source, int rowLength, ReadOnlySpan<int> rows, DeviceSpan destination)
    {
        var from = Host(source);
        var to = Host(destination);
        for (int i = 0; i < rows.Length; i++)
            from.Slice(rows[i] * rowLength, rowLength).CopyTo(to.Slice(i * rowLength, rowLength));
    }

    public override void ScatterAddRows(DeviceSpan source, int rowLength, ReadOnlySpan<int> rows, ReadOnlySpan<float> weights, DeviceSpan destination)
    {
        var from = Host(source);
        var to = Host(destination);
        for (int i = 0; i < rows.Length; i++)
        {
            var target = to.Slice(rows[i] * rowLength, rowLength);
            TensorPrimitives.MultiplyAdd(from.Slice(i * rowLength, rowLength), weights[i], target, target);
        }
    }

    public override void Synchronize()
    {
    }

    /// <summary>The host memory behind a span of this device (an error naming the device when it is another's).</summary>
    public static Span<float> Host(DeviceSpan span) => span.Buffer is HostBuffer host
        ? host.Span.Slice(span.Offset, span.Length)
        : throw new ArgumentException($"a buffer of device {span.Device.Name} was passed to the CPU");

    private static float* HostPointer(DeviceSpan span) => ((HostBuffer)span.Buffer).Pointer + span.Offset;

    private static string ReadCpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                    return line[(line.IndexOf(':') + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }
}
