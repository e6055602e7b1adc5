using Tessera.Backends.OpenCL.Native;
using Tessera.Devices;
using Tessera.Kernels.Elementwise;
using Tessera.Tensors;

namespace Tessera.Backends.OpenCL;

/// <summary>
/// One OpenCL device: an in-order command queue, the backend's kernels built for it, and a memory pool holding its
/// buffers, weights and KV layers. Operations enqueue kernels and return; <see cref="Read"/> and
/// <see cref="Synchronize"/> wait. Weights of the six types with kernels (F32, F16, Q8_0, Q4_0, Q4_K, Q6_K) stay in their
/// GGUF block layout; other types are converted to F32 once at upload. Activations are F32. Any CL error of an
/// operation fails the device (<see cref="DeviceFailedException"/>). Like a command queue, a device is used by one
/// thread at a time (kernel objects hold their arguments; small per-call uploads reuse scratch buffers).
/// </summary>
public sealed unsafe class OpenClDevice : ComputeDevice
{
    /// <summary>Floats converted per host-to-device write when a matrix is converted to F32 at upload.</summary>
    private const int ConversionChunkFloats = 1 << 20;

    private readonly ClDeviceInfo _info;
    private readonly ClHandle _context;
    private readonly ClHandle _queue;
    private readonly OpenClKernels _kernels;
    private readonly OpenClMemoryPool _pool;
    private PoolBlock? _tableScratch;
    private PoolBlock? _indexScratch;
    private PoolBlock? _pageScratch;
    private PoolBlock? _weightScratch;
    private PoolBlock? _roundedScratch;
    private int _injectedError;
    private bool _disposed;

    internal OpenClDevice(string name, ClDeviceInfo info, OpenClOptions options)
    {
        Name = name;
        _info = info;
        IntPtr id = info.Id;
        int error;
        IntPtr context = OpenClNative.clCreateContext(null, 1, &id, IntPtr.Zero, IntPtr.Zero, &error);
        CreationCheck(error, "clCreateContext");
        _context = new ClHandle(ClObject.Context, context);
        try
        {
            IntPtr queue = OpenClNative.clCreateCommandQueue(context, id, 0, &error);
            CreationCheck(error, "clCreateCommandQueue");
            _queue = new ClHandle(ClObject.Queue, queue);
            _kernels = OpenClKernels.Build(context, id, GroupSizeFor(info.MaxWorkGroupSize));
            // A page can be no larger than the device's largest single allocation.
            long pageBytes = Math.Min(options.PageBytes, info.MaxAllocation / options.Alignment * options.Alignment);
            _pool = new OpenClMemoryPool(pageBytes, options.Alignment, CreatePage);
        }
        catch
        {
            _queue?.Dispose();
            _context.Dispose();
            throw;
        }
    }

    public override string Name { get; }

    /// <summary>GPU for GPU-type devices; everything else (CPU runtimes such as PoCL, FPGAs) is an accelerator.</summary>
    public override DeviceKind Kind => _info.IsGpu ? DeviceKind.Gpu : DeviceKind.Accelerator;

    public override string Description => $"{_info.DeviceName}, {_info.PlatformVersion}";

    public override string DriverVersion => $"{_info.DriverVersion} {_info.DeviceName}";

    public override long MemoryTotal => _info.GlobalMemory;

    /// <summary>OpenCL has no portable free-memory query: the total less what this device's pool holds.</summary>
    public override long MemoryFree => Math.Max(0, _info.GlobalMemory - _pool.BytesReserved);

    public OpenClPoolStatistics PoolStatistics =>
        new(_pool.BytesReserved, _pool.BytesLive, _pool.AllocationCount, _pool.PageCount, _pool.Fragmentation);

    /// <summary>Work-group size of the reducing kernels on this device.</summary>
    public int GroupSize => _kernels.GroupSize;

    internal OpenClMemoryPool Pool => _pool;

    public override bool Supports(DeviceOp op, GgmlType weightType) => op switch
    {
        DeviceOp.MatVec or DeviceOp.MatMul or DeviceOp.MoeExperts => OpenClKernels.NativeTypes.ContainsKey(weightType),
        _ => true,
    };

    public override DeviceBuffer Allocate(int length)
    {
        ThrowIfFailed();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var block = _pool.Allocate((long)length * sizeof(float));
        try
        {
            float zero = 0;
            Check(OpenClNative.clEnqueueFillBuffer(_queue.Value, block.Memory, &zero, sizeof(float), (nuint)block.Offset, (nuint)block.Bytes,
                0, null, null), "clEnqueueFillBuffer");
        }
        catch
        {
            _pool.Free(block);
            throw;
        }
        return new OpenClBuffer(this, block, length);
    }

    public override DeviceMatrix UploadMatrix(string name, GgmlType type, byte* data, long rows, int columns)
    {
        ThrowIfFailed();
        if (!Quantization.CanDequantize(type))
            throw new NotSupportedException($"tensor {name}: type {type} cannot be converted for the OpenCL device");
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if (data == null && rows > 0)
            throw new ArgumentNullException(nameof(data));
        var stored = StoredType(type);
        long sourceRowBytes = GgmlTypeTraits.Of(type).BytesFor(columns);
        long rowBytes = GgmlTypeTraits.Of(stored).BytesFor(columns);
        var block = _pool.Allocate(rowBytes * rows);
        try
        {
            if (stored == type)
                WriteBytes(block, 0, data, rowBytes * rows);
            else
                UploadConverted(block, type, data, rows, columns, sourceRowBytes);
        }
        catch
        {
            _pool.Free(block);
            throw;
        }
        return new OpenClMatrix(this, name, type, stored, rows, columns, block);
    }

    /// <summary>Dequantizes rows on the host (the scalar reference) in chunks and writes them as F32.</summary>
    private void UploadConverted(PoolBlock block, GgmlType type, byte* data, long rows, int columns, long sourceRowBytes)
    {
        int rowsPerChunk = Math.Max(1, ConversionChunkFloats / columns);
        var chunk = new float[(long)Math.Min(rowsPerChunk, Math.Max(rows, 1)) * columns];
        for (long first = 0; first < rows; first += rowsPerChunk)
        {
            int count = (int)Math.Min(rowsPerChunk, rows - first);
            for (int r = 0; r < count; r++)
            {
                var source = new ReadOnlySpan<byte>(data + (first + r) * sourceRowBytes, (int)sourceRowBytes);
                Quantization.Dequantize(type, source, chunk.AsSpan(r * columns, columns));
            }
            fixed (float* c = chunk)
                WriteBytes(block, first * columns * sizeof(float), c, (long)count * columns * sizeof(float));
        }
    }

    public override DeviceKvLayer CreateKvLayer(int kvHeadCount, int headDim, int pageSize, int pageCount, GgmlType elementType)
    {
        ThrowIfFailed();
        DeviceKvLayer.CheckType(elementType, headDim);
        if (!SupportsKvType(elementType))
            throw new NotSupportedException($"the OpenCL KV cache holds F16 or F32, not {elementType}");
        long half = DeviceKvLayer.BytesFor(kvHeadCount, headDim, (long)pageSize * pageCount, elementType) / 2;
        var keys = _pool.Allocate(half);
        PoolBlock? values = null;
        try
        {
            values = _pool.Allocate(half);
            return new OpenClKvLayer(this, kvHeadCount, headDim, pageSize, pageCount, elementType, keys, values);
        }
        catch
        {
            _pool.Free(keys);
            if (values is not null)
                _pool.Free(values);
            throw;
        }
    }

    public override void Write(DeviceSpan destination, ReadOnlySpan<float> source)
    {
        ThrowIfFailed();
        var buffer = Own(destination, nameof(destination));
        if (source.Length > destination.Length)
            throw new ArgumentException($"{source.Length} floats do not fit a span of {destination.Length}", nameof(source));
        fixed (float* s = source)
            WriteBytes(buffer.Block, (long)destination.Offset * sizeof(float), s, (long)source.Length * sizeof(float));
    }

    public override void Read(DeviceSpan source, Span<float> destination)
    {
        ThrowIfFailed();
        var buffer = Own(source, nameof(source));
        if (destination.Length < source.Length)
            throw new ArgumentException($"{source.Length} floats do not fit a destination of {destination.Length}", nameof(destination));
        if (source.Length == 0)
            return;
        fixed (float* d = destination)
        {
            Check(OpenClNative.clEnqueueReadBuffer(_queue.Value, buffer.Block.Memory, OpenClNative.True,
                (nuint)(buffer.Block.Offset + (long)source.Offset * sizeof(float)), (nuint)((long)source.Length * sizeof(float)), d,
                0, null, null), "clEnqueueReadBuffer");
        }
    }

    public override void Linear(MatrixRows weight, DeviceSpan x, int tokens, DeviceSpan y)
    {
        ThrowIfFailed();
        var matrix = weight.Matrix as OpenClMatrix;
        if (matrix is null || matrix.Device != this)
            throw new ArgumentException($"matrix {weight.Matrix?.Name} does not belong to device {Name}", nameof(weight));
        if (weight.FirstRow < 0 || weight.Count < 0 || weight.FirstRow + weight.Count > matrix.Rows)
            throw new ArgumentOutOfRangeException(nameof(weight), $"rows [{weight.FirstRow}, {weight.FirstRow + weight.Count}) are outside {matrix.Name}'s {matrix.Rows}");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        int k = matrix.Columns;
        RequireLength(x, (long)tokens * k, nameof(x));
        RequireLength(y, (long)tokens * weight.Count, nameof(y));
        if (weight.Count == 0)
            return;
        var w = KernelArg.At(matrix.Block.Memory, (ulong)(matrix.Block.Offset + weight.FirstRow * matrix.RowBytes));
        var input = RoundedActivations(matrix.SourceType, x, tokens * k);
        nuint group = (nuint)GroupSize;
        if (tokens == 1)
        {
            Launch(_kernels.MatVec(matrix.Type), "matvec", [(nuint)weight.Count * group], [group],
                w, (ulong)matrix.RowBytes, input, At(y), k);
        }
        else
        {
            nuint tokenGroups = (nuint)((tokens + OpenClKernels.MatMulTokens - 1) / OpenClKernels.MatMulTokens);
            Launch(_kernels.MatMul(matrix.Type), "matmul", [(nuint)weight.Count * group, tokenGroups], [group, 1],
                w, (ulong)matrix.RowBytes, input, At(y), k, weight.Count, tokens);
        }
    }

    /// <summary>
    /// The input of a product with weights of <paramref name="fileType"/>: as it is for float weights; for quantized
    /// ones rounded through the activation type the CPU's integer dot pairs the type with (Q8_0 or Q8_K blocks), so
    /// that both devices compute the same products (and so do references that quantize activations).
    /// </summary>
    private KernelArg RoundedActivations(GgmlType fileType, DeviceSpan x, int length)
    {
        var activation = Kernels.MatVec.Supports(fileType) ? Kernels.MatVec.ActivationTypeFor(fileType) : GgmlType.F32;
        (string kernel, int block) = activation switch
        {
            GgmlType.Q8_0 or GgmlType.Q8_1 => ("round_q8_0", 32),
            GgmlType.Q8_K => ("round_q8_k", 256),
            _ => ("", 0),
        };
        if (block == 0)
            return At(x);
        long bytes = (long)length * sizeof(float);
        if (_roundedScratch is null || _roundedScratch.Bytes < bytes)
        {
            if (_roundedScratch is not null)
                _pool.Free(_roundedScratch);
            _roundedScratch = null;
            _roundedScratch = _pool.Allocate(Math.Max(4096, 2 * bytes));
        }
        var rounded = KernelArg.At(_roundedScratch.Memory, (ulong)_roundedScratch.Offset / sizeof(float));
        Launch(_kernels[kernel], kernel, [(nuint)(length / block)], default, At(x), rounded);
        return rounded;
    }

    /// <summary>Zeroes the span on the device (no zeros cross the bus).</summary>
    public override void Clear(DeviceSpan destination)
    {
        ThrowIfFailed();
        var buffer = Own(destination, nameof(destination));
        if (destination.Length == 0)
            return;
        float zero = 0;
        Check(OpenClNative.clEnqueueFillBuffer(_queue.Value, buffer.Block.Memory, &zero, sizeof(float),
            (nuint)(buffer.Block.Offset + (long)destination.Offset * sizeof(float)), (nuint)destination.Length * sizeof(float), 0, null, null),
            "clEnqueueFillBuffer");
    }

    public override void RmsNorm(DeviceSpan x, DeviceBuffer weight, float epsilon, DeviceSpan y)
    {
        ThrowIfFailed();
        int width = weight.Length;
        if (width == 0 || x.Length % width != 0)
            throw new ArgumentException($"input of {x.Length} elements is not whole rows of {width}", nameof(x));
        RequireLength(y, x.Length, nameof(y));
        Own(x, nameof(x));
        Own(y, nameof(y));
        int rows = x.Length / width;
        if (rows == 0)
            return;
        nuint group = (nuint)GroupSize;
        Launch(_kernels["rms_norm"], "rms_norm", [(nuint)rows * group], [group], At(x), At(weight.All, nameof(weight)), At(y), width, epsilon);
    }

    public override void AddRows(DeviceSpan y, DeviceBuffer bias)
    {
        ThrowIfFailed();
        if (bias.Length == 0 || y.Length % bias.Length != 0)
            throw new ArgumentException($"{y.Length} values are not whole rows of {bias.Length}", nameof(y));
        Launch(_kernels["add_rows"], "add_rows", [(nuint)y.Length], default, At(y), At(bias.All, nameof(bias)), bias.Length);
    }

    public override void Rope(DeviceSpan x, int tokens, int headCount, int headDim, int firstPosition, in RopeOptions options)
    {
        ThrowIfFailed();
        int rotary = options.RotaryDimensions == 0 ? headDim : options.RotaryDimensions;
        if (headDim <= 0 || headDim > Kernels.Elementwise.Rope.MaxHeadDimension)
            throw new ArgumentOutOfRangeException(nameof(headDim), headDim, $"head dimension must be 1..{Kernels.Elementwise.Rope.MaxHeadDimension}");
        if (rotary <= 0 || rotary > headDim || rotary % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(options), rotary, $"rotary dimensions must be even and at most the head dimension {headDim}");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headCount);
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(firstPosition);
        RequireLength(x, (long)tokens * headCount * headDim, nameof(x));
        Own(x, nameof(x));
        if (tokens == 0)
            return;

        // The angle table in double on the host, exactly as the CPU kernel computes it.
        int pairs = rotary / 2;
        var table = new float[2 * tokens * pairs];
        for (int t = 0; t < tokens; t++)
        {
            int position = firstPosition + t;
            for (int i = 0; i < pairs; i++)
            {
                double angle = position * (double)options.FrequencyScale * Math.Pow(options.FrequencyBase, -2.0 * i / rotary);
                table[2 * (t * pairs + i)] = (float)Math.Cos(angle);
                table[2 * (t * pairs + i) + 1] = (float)Math.Sin(angle);
            }
        }
        var scratch = Stage(ref _tableScratch, table.AsSpan());
        bool normal = options.Style == RopeStyle.Normal;
        Launch(_kernels["rope"], "rope", [(nuint)pairs, (nuint)headCount, (nuint)tokens], default,
            At(x), KernelArg.At(scratch.Memory, (ulong)scratch.Offset / sizeof(float)), headCount, headDim, pairs, normal ? 2 : 1, normal ? 1 : pairs);
    }

    public override void Attention(DeviceKvLayer cache, GgmlType cellType, ReadOnlySpan<int> pages, int firstPosition, int tokens, int headCount,
        DeviceSpan q, DeviceSpan k, DeviceSpan v, DeviceSpan output)
    {
        ThrowIfFailed();
        if (cache is not OpenClKvLayer layer || layer.Device != this)
            throw new ArgumentException($"the KV layer does not belong to device {Name}", nameof(cache));
        if (cellType != layer.ElementType)
            throw new NotSupportedException($"device {Name} keeps KV cells in {layer.ElementType} only, not {cellType}");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(firstPosition);
        layer.CheckPages(pages, (long)firstPosition + tokens);
        int headDim = layer.HeadDim, kvHeads = layer.KvHeadCount;
        if (headCount <= 0 || headCount % kvHeads != 0)
            throw new ArgumentException($"{headCount} query heads is not a multiple of {kvHeads} KV heads", nameof(headCount));
        if (headDim > OpenClKernels.MaxHeadDim)
            throw new ArgumentOutOfRangeException(nameof(cache), headDim, $"head dimension must be at most {OpenClKernels.MaxHeadDim} on OpenCL");
        long queryElements = (long)tokens * headCount * headDim;
        int kvElements = tokens * kvHeads * headDim;
        RequireLength(q, queryElements, nameof(q));
        RequireLength(k, kvElements, nameof(k));
        RequireLength(v, kvElements, nameof(v));
        RequireLength(output, queryElements, nameof(output));

        int tablePages = (firstPosition + tokens + layer.PageSize - 1) / layer.PageSize;
        var table = Stage(ref _pageScratch, pages[..tablePages]);
        var tableArg = KernelArg.At(table.Memory, (ulong)table.Offset / sizeof(int));
        bool f16 = layer.ElementType == GgmlType.F16;
        Launch(_kernels[f16 ? "kv_store_f16" : "kv_store_f32"], "kv_store", [(nuint)kvElements], default,
            At(k, nameof(k)), At(v, nameof(v)),
            KernelArg.At(layer.Keys.Memory, layer.ElementOffset(layer.Keys)),
            KernelArg.At(layer.Values.Memory, layer.ElementOffset(layer.Values)),
            tableArg, layer.PageSize, kvHeads * headDim, firstPosition);
        nuint group = (nuint)GroupSize;
        Launch(_kernels[f16 ? "attention_f16" : "attention_f32"], "attention", [(nuint)headCount * group, (nuint)tokens], [group, 1],
            At(q, nameof(q)),
            KernelArg.At(layer.Keys.Memory, layer.ElementOffset(layer.Keys)),
            KernelArg.At(layer.Values.Memory, layer.ElementOffset(layer.Values)),
            tableArg, layer.PageSize,
            At(output, nameof(output)), headCount, kvHeads, headDim, firstPosition, 1f / MathF.Sqrt(headDim));
    }

    /// <summary>Copies cells 0..cells-1 of page <paramref name="from"/> to page <paramref name="to"/>, keys and values.</summary>
    internal void CopyCells(OpenClKvLayer layer, int from, int to, int cells)
    {
        ThrowIfFailed();
        long pageBytes = layer.PageSize * layer.CellBytes, bytes = cells * layer.CellBytes;
        if (bytes == 0)
            return;
        foreach (var block in new[] { layer.Keys, layer.Values })
        {
            Check(OpenClNative.clEnqueueCopyBuffer(_queue.Value, block.Memory, block.Memory, (nuint)(block.Offset + from * pageBytes),
                (nuint)(block.Offset + to * pageBytes), (nuint)bytes, 0, null, null), "clEnqueueCopyBuffer");
        }
    }

    public override void SwiGlu(DeviceSpan gate, DeviceSpan up, DeviceSpan output)
    {
        ThrowIfFailed();
        if (up.Length != gate.Length)
            throw new ArgumentException($"up has {up.Length} elements, gate has {gate.Length}", nameof(up));
        RequireLength(output, gate.Length, nameof(output));
        Launch(_kernels["swiglu"], "swiglu", [(nuint)gate.Length], default, At(gate, nameof(gate)), At(up, nameof(up)), At(output, nameof(output)));
    }

    public override void Add(DeviceSpan x, DeviceSpan y)
    {
        ThrowIfFailed();
        if (x.Length != y.Length)
            throw new ArgumentException($"y has {y.Length} elements, x has {x.Length}", nameof(y));
        Launch(_kernels["add"], "add", [(nuint)x.Length], default, At(x), At(y, nameof(y)));
    }

    public override void Softmax(DeviceSpan x, int rowLength)
    {
        ThrowIfFailed();
        if (rowLength <= 0 || x.Length % rowLength != 0)
            throw new ArgumentException($"{x.Length} values are not whole rows of {rowLength}", nameof(rowLength));
        Own(x, nameof(x));
        int rows = x.Length / rowLength;
        if (rows == 0)
            return;
        nuint group = (nuint)GroupSize;
        Launch(_kernels["softmax"], "softmax", [(nuint)rows * group], [group], At(x), rowLength);
    }

    public override void GatherRows(DeviceSpan source, int rowLength, ReadOnlySpan<int> rows, DeviceSpan destination)
    {
        ThrowIfFailed();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowLength);
        CheckRows(rows, source.Length / rowLength, nameof(rows));
        RequireLength(destination, (long)rows.Length * rowLength, nameof(destination));
        Own(source, nameof(source));
        Own(destination, nameof(destination));
        if (rows.IsEmpty)
            return;
        var indices = Stage(ref _indexScratch, rows);
        Launch(_kernels["gather_rows"], "gather_rows", [(nuint)rowLength, (nuint)rows.Length], default,
            At(source), KernelArg.At(indices.Memory, (ulong)indices.Offset / sizeof(int)), At(destination), rowLength);
    }

    public override void ScatterAddRows(DeviceSpan source, int rowLength, ReadOnlySpan<int> rows, ReadOnlySpan<float> weights, DeviceSpan destination)
    {
        ThrowIfFailed();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowLength);
        if (weights.Length != rows.Length)
            throw new ArgumentException($"{weights.Length} weights for {rows.Length} rows", nameof(weights));
        CheckRows(rows, destination.Length / rowLength, nameof(rows));
        RequireLength(source, (long)rows.Length * rowLength, nameof(source));
        Own(source, nameof(source));
        Own(destination, nameof(destination));
        if (rows.IsEmpty)
            return;
        var indices = Stage(ref _indexScratch, rows);
        var factors = Stage(ref _weightScratch, weights);
        Launch(_kernels["scatter_add_rows"], "scatter_add_rows", [(nuint)rowLength], default,
            At(source), KernelArg.At(indices.Memory, (ulong)indices.Offset / sizeof(int)),
            KernelArg.At(factors.Memory, (ulong)factors.Offset / sizeof(float)), At(destination), rowLength, rows.Length);
    }

    public override void Synchronize()
    {
        ThrowIfFailed();
        Check(OpenClNative.clFinish(_queue.Value), "clFinish");
    }

    /// <summary>Makes the next CL call of an operation report <paramref name="errorCode"/> (tests of the failure path).</summary>
    internal void InjectClError(int errorCode) => _injectedError = errorCode;

    /// <summary>Returns a block to the pool (buffers, matrices and KV layers call this when disposed).</summary>
    internal void Release(PoolBlock block) => _pool.Free(block);

    public override void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        base.Dispose();
        // Pending kernels may still use the memory; the error (if any) no longer matters.
        OpenClNative.clFinish(_queue.Value);
        _pool.Dispose();
        _kernels.Dispose();
        _queue.Dispose();
        _context.Dispose();
    }

    /// <summary>Enqueues <paramref name="kernel"/> over <paramref name="global"/> work-items (empty local: the runtime
    /// chooses the work-group size); a zero-sized range enqueues nothing.</summary>
    private void Launch(IntPtr kernel, string name, ReadOnlySpan<nuint> global, ReadOnlySpan<nuint> local, params ReadOnlySpan<KernelArg> args)
    {
        foreach (var size in global)
        {
            if (size == 0)
                return;
        }
        uint index = 0;
        foreach (var arg in args)
            Check(arg.Set(kernel, ref index), $"clSetKernelArg({name}, {index})");
        fixed (nuint* g = global)
        fixed (nuint* l = local)
        {
            Check(OpenClNative.clEnqueueNDRangeKernel(_queue.Value, kernel, (uint)global.Length, null, g, local.IsEmpty ? null : l, 0, null, null),
                $"clEnqueueNDRangeKernel({name})");
        }
    }

    /// <summary>A blocking write (the host memory may go away after the call).</summary>
    private void WriteBytes(PoolBlock block, long offset, void* source, long bytes)
    {
        if (bytes == 0)
            return;
        Check(OpenClNative.clEnqueueWriteBuffer(_queue.Value, block.Memory, OpenClNative.True, (nuint)(block.Offset + offset), (nuint)bytes,
            source, 0, null, null), "clEnqueueWriteBuffer");
    }

    /// <summary>Copies small per-call host data into a reusable scratch block (grown as needed). The write is blocking and
    /// the queue in order, so earlier kernels reading the old contents have finished when it lands.</summary>
    private PoolBlock Stage<T>(ref PoolBlock? slot, ReadOnlySpan<T> values) where T : unmanaged
    {
        long bytes = (long)values.Length * sizeof(T);
        if (slot is null || slot.Bytes < bytes)
        {
            if (slot is not null)
                _pool.Free(slot);
            slot = null;
            slot = _pool.Allocate(Math.Max(4096, 2 * bytes));
        }
        fixed (T* v = values)
            WriteBytes(slot, 0, v, bytes);
        return slot;
    }

    private ClHandle CreatePage(long bytes)
    {
        if (bytes > _info.MaxAllocation)
            throw new InsufficientMemoryException($"device {Name} cannot allocate {bytes >> 20} MiB in one piece (its limit is {_info.MaxAllocation >> 20} MiB)");
        int error;
        IntPtr memory = OpenClNative.clCreateBuffer(_context.Value, OpenClNative.MemReadWrite, (nuint)bytes, null, &error);
        Check(error, $"clCreateBuffer({bytes >> 20} MiB)");
        return new ClHandle(ClObject.Memory, memory);
    }

    private void Check(int error, string call)
    {
        if (_injectedError != 0)
        {
            error = _injectedError;
            _injectedError = 0;
        }
        if (error != OpenClNative.Success)
            throw Fail($"{call} returned {ClErrors.Name(error)}");
    }

    private static void CreationCheck(int error, string call)
    {
        if (error != OpenClNative.Success)
            throw new InvalidOperationException($"{call} failed with {ClErrors.Name(error)}");
    }

    /// <summary>The largest power of two up to 64 that the device runs as one work-group.</summary>
    private static int GroupSizeFor(long maxWorkGroupSize)
    {
        int size = 64;
        while (size > 1 && size > maxWorkGroupSize)
            size /= 2;
        return size;
    }

    private OpenClBuffer Own(DeviceSpan span, string parameter) =>
        span.Buffer is OpenClBuffer buffer && buffer.Device == this
            ? buffer
            : throw new ArgumentException($"a buffer of device {span.Device.Name} was passed to {Name}", parameter);

    private KernelArg At(DeviceSpan span, string parameter = "span")
    {
        var buffer = Own(span, parameter);
        return KernelArg.At(buffer.Block.Memory, buffer.FloatOffset + (ulong)span.Offset);
    }

    private static void RequireLength(DeviceSpan span, long length, string parameter)
    {
        if (span.Length < length)
            throw new ArgumentException($"{parameter} has {span.Length} floats, {length} needed", parameter);
    }

    private static void CheckRows(ReadOnlySpan<int> rows, int rowCount, string parameter)
    {
        foreach (int row in rows)
        {
            if ((uint)row >= (uint)rowCount)
                throw new ArgumentOutOfRangeException(parameter, row, $"row {row} is outside 0..{rowCount - 1}");
        }
    }
}
