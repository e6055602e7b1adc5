using Tessera.Kernels.Elementwise;
using Tessera.Tensors;

namespace Tessera.Devices;

/// <summary>
/// One processor that can run parts of a model: it reports what it is, how much memory it has and which operations it
/// supports for which weight types, owns buffers, matrices and KV layers in its memory, and runs the operations of a
/// decoder layer on them. The CPU is one device like any other (and the universal fallback); accelerator backends
/// (OpenCL, later CUDA) implement the same class. Every operation may throw <see cref="DeviceFailedException"/>;
/// after that the device stays <see cref="Failed"/>.
/// </summary>
public abstract class ComputeDevice : IDisposable
{
    /// <summary>Floats an output-to-host product keeps on the device at once (see <see cref="LinearToHost"/>).</summary>
    private const int HostOutputChunkFloats = 4 << 20;

    private static int _nextId;
    private DeviceBuffer? _hostOutputStaging;
    private float[] _zeros = [];
    private long _step;
    private long? _faultStep;

    /// <summary>
    /// A device runs one thing at a time (its scratch buffers and, for OpenCL, its kernel objects are shared by its
    /// operations): whoever drives a device that others may drive too (a process-wide accelerator) holds this lock
    /// for the whole pass or measurement. Take several in <see cref="Id"/> order.
    /// </summary>
    public object Gate { get; } = new();

    /// <summary>Creation order, for taking several devices' <see cref="Gate"/>s without deadlock.</summary>
    public int Id { get; } = Interlocked.Increment(ref _nextId);

    /// <summary>Short name used on the command line and in plans: `cpu`, `opencl`, `opencl1`.</summary>
    public abstract string Name { get; }

    public abstract DeviceKind Kind { get; }

    /// <summary>The hardware and driver in words (for `tessera devices`).</summary>
    public abstract string Description { get; }

    /// <summary>Identifies the driver (or runtime and ISA for the CPU); measured speeds are cached per name and version.</summary>
    public abstract string DriverVersion { get; }

    public abstract long MemoryTotal { get; }

    public abstract long MemoryFree { get; }

    /// <summary>Set once an operation failed; a failed device takes no more work.</summary>
    public bool Failed { get; private set; }

    /// <summary>Workers an operation is split over (the CPU's kernel threads); schedulers size their work lists by it.</summary>
    public virtual int ComputeUnits => 1;

    /// <summary>Whether the device runs <paramref name="op"/> on weights stored as <paramref name="weightType"/>
    /// (element-wise ops ignore the type).</summary>
    public abstract bool Supports(DeviceOp op, GgmlType weightType);

    /// <summary>How a matrix of <paramref name="fileType"/> is stored once uploaded: its own type when a kernel reads it
    /// in place, otherwise F32 (converted once at upload).</summary>
    public virtual GgmlType StoredType(GgmlType fileType) => Supports(DeviceOp.MatVec, fileType) ? fileType : GgmlType.F32;

    /// <summary>A zeroed buffer of <paramref name="length"/> floats.</summary>
    public abstract DeviceBuffer Allocate(int length);

    public DeviceBuffer Upload(ReadOnlySpan<float> values)
    {
        var buffer = Allocate(values.Length);
        if (!values.IsEmpty)
            Write(buffer.All, values);
        return buffer;
    }

    /// <summary>Copies (or, for host memory, wraps) a matrix [rows, columns] of <paramref name="type"/> whose rows start at
    /// <paramref name="data"/>; see <see cref="StoredType"/>.</summary>
    public abstract unsafe DeviceMatrix UploadMatrix(string name, GgmlType type, byte* data, long rows, int columns);

    /// <summary>Whether <see cref="CreateKvLayer"/> can keep cells in <paramref name="elementType"/> (F16 and F32
    /// everywhere; Q8_0 where the device's attention reads it).</summary>
    public virtual bool SupportsKvType(GgmlType elementType) => elementType is GgmlType.F16 or GgmlType.F32;

    /// <summary>A layer's KV cells: <paramref name="pageCount"/> pages of <paramref name="pageSize"/> token cells.</summary>
    public abstract DeviceKvLayer CreateKvLayer(int kvHeadCount, int headDim, int pageSize, int pageCount, GgmlType elementType);

    public abstract void Write(DeviceSpan destination, ReadOnlySpan<float> source);

    public abstract void Read(DeviceSpan source, Span<float> destination);

    /// <summary>Sets every float of <paramref name="destination"/> to zero (devices override with a fill kernel).</summary>
    public virtual void Clear(DeviceSpan destination)
    {
        if (_zeros.Length < destination.Length)
            _zeros = new float[destination.Length];
        Write(destination, _zeros.AsSpan(0, destination.Length));
    }

    /// <summary>y [tokens, w.Count] = x [tokens, w.Columns] · w^T.</summary>
    public abstract void Linear(MatrixRows weight, DeviceSpan x, int tokens, DeviceSpan y);

    /// <summary>Several products over the same x (q/k/v, gate/up); devices may fuse them, and fuse each target's RoPE
    /// (<see cref="LinearTarget.Rotary"/>) into the product's write.</summary>
    public virtual void LinearShared(DeviceSpan x, int tokens, ReadOnlySpan<LinearTarget> targets)
    {
        foreach (var target in targets)
        {
            Linear(target.Weight, x, tokens, target.Output);
            if (target.Rotary.IsSet)
            {
                int rows = target.Weight.Count;
                Rope(target.Output.Slice(0, tokens * rows), tokens, target.Rotary.CheckedHeads(rows), target.Rotary.HeadDim,
                    target.Rotary.FirstPosition, target.Rotary.Options);
            }
        }
    }

    /// <summary>y [tokens, w.Count] = (silu(gate) ⊙ up) · w^T: a SwiGLU feed-forward's down projection, which devices may
    /// fuse with the activation. <paramref name="gate"/> may be overwritten.</summary>
    public virtual void LinearGated(MatrixRows weight, DeviceSpan gate, DeviceSpan up, int tokens, DeviceSpan y)
    {
        SwiGlu(gate, up, gate);
        Linear(weight, gate, tokens, y);
    }

    /// <summary>Independent single-token products (each its own matrix and input), such as the selected experts of a
    /// decode step; devices may run them as one work list over all their compute units.</summary>
    public virtual void LinearEach(ReadOnlySpan<LinearProduct> products)
    {
        foreach (var product in products)
            Linear(product.Weight, product.X, 1, product.Output);
    }

    /// <summary>Independent multi-token products (each its own matrix, input and token count), such as every expert of a
    /// MoE layer over the tokens routed to it; devices may pack them onto their compute units as one operation.</summary>
    public virtual void LinearGrouped(ReadOnlySpan<GroupedLinear> products)
    {
        foreach (var product in products)
            Linear(product.Weight, product.X, product.Tokens, product.Output);
    }

    /// <summary>y [tokens, w.Count] = x · w^T written to host memory (the output head's logits), in chunks of tokens so
    /// the device never holds more than a few MB of it.</summary>
    public virtual void LinearToHost(MatrixRows weight, DeviceSpan x, int tokens, Span<float> y)
    {
        int columns = weight.Matrix.Columns;
        int perChunk = Math.Max(1, HostOutputChunkFloats / weight.Count);
        int staging = Math.Min(perChunk, tokens) * weight.Count;
        if (_hostOutputStaging is null || _hostOutputStaging.Length < staging)
        {
            _hostOutputStaging?.Dispose();
            _hostOutputStaging = Allocate(staging);
        }
        for (int first = 0; first < tokens; first += perChunk)
        {
            int count = Math.Min(perChunk, tokens - first);
            var chunk = _hostOutputStaging.Slice(0, count * weight.Count);
            Linear(weight, x.Slice(first * columns, count * columns), count, chunk);
            Read(chunk, y.Slice(first * weight.Count, count * weight.Count));
        }
    }

    /// <summary>y = rmsnorm(x) * weight per row of weight.Length floats; x and y may be the same span.</summary>
    public abstract void RmsNorm(DeviceSpan x, DeviceBuffer weight, float epsilon, DeviceSpan y);

    /// <summary>The residual add and the norm after it: x += residual, then y = rmsnorm(x) per row. Devices may fuse
    /// the two (the CPU takes two passes over a row instead of four); this form runs them one after the other.</summary>
    public virtual void AddRmsNorm(DeviceSpan x, DeviceSpan residual, DeviceBuffer weight, float epsilon, DeviceSpan y)
    {
        Add(x, residual);
        RmsNorm(x, weight, epsilon, y);
    }

    /// <summary>Adds <paramref name="bias"/> to every row of bias.Length floats of <paramref name="y"/>.</summary>
    public abstract void AddRows(DeviceSpan y, DeviceBuffer bias);

    /// <summary>Rotates x [tokens, heads, headDim] in place, token t at position firstPosition + t.</summary>
    public abstract void Rope(DeviceSpan x, int tokens, int headCount, int headDim, int firstPosition, in RopeOptions options);

    /// <summary>
    /// Stores the keys and values [tokens, kvHeads, headDim] of one sequence at positions firstPosition.., then computes
    /// causal attention of q [tokens, heads, headDim] over positions 0..p of that sequence into <paramref name="output"/>
    /// [tokens, heads, headDim], scale 1/sqrt(headDim). <paramref name="pages"/> is the sequence's page table
    /// (<see cref="DeviceKvLayer"/>), covering at least firstPosition + tokens positions. The sequence's pages hold
    /// cells of <paramref name="cellType"/>: the layer's element type, or a smaller one where the device keeps that
    /// too (<see cref="DeviceKvLayer.PageCellsFor"/>); a device that does not refuses it.
    /// </summary>
    public abstract void Attention(DeviceKvLayer cache, GgmlType cellType, ReadOnlySpan<int> pages, int firstPosition, int tokens, int headCount,
        DeviceSpan q, DeviceSpan k, DeviceSpan v, DeviceSpan output);

    /// <summary>output = silu(gate) * up; output may be gate.</summary>
    public abstract void SwiGlu(DeviceSpan gate, DeviceSpan up, DeviceSpan output);

    /// <summary>x += y.</summary>
    public abstract void Add(DeviceSpan x, DeviceSpan y);

    /// <summary>Softmax in place over each row of <paramref name="rowLength"/> floats.</summary>
    public abstract void Softmax(DeviceSpan x, int rowLength);

    /// <summary>destination row i = source row rows[i] (rows of <paramref name="rowLength"/> floats).</summary>
    public abstract void GatherRows(DeviceSpan source, int rowLength, ReadOnlySpan<int> rows, DeviceSpan destination);

    /// <summary>destination row rows[i] += weights[i] * source row i.</summary>
    public abstract void ScatterAddRows(DeviceSpan source, int rowLength, ReadOnlySpan<int> rows, ReadOnlySpan<float> weights, DeviceSpan destination);

    /// <summary>Waits until every queued operation has finished (for timing; reads synchronise by themselves).</summary>
    public abstract void Synchronize();

    /// <summary>
    /// Marks the start of a forward pass that uses this device. Counts the passes and raises the fault that
    /// <see cref="InjectFault"/> (or `TESSERA_FAULT`) scheduled for this one.
    /// </summary>
    public void BeginStep()
    {
        ThrowIfFailed();
        long step = _step++;
        if (_faultStep == step)
            throw Fail($"injected fault at step {step} (TESSERA_FAULT)");
    }

    /// <summary>Makes the forward pass number <paramref name="step"/> (0 = the first, counted from now) fail.</summary>
    public void InjectFault(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        _faultStep = _step + step;
    }

    /// <summary>Marks the device failed and returns the exception to throw.</summary>
    protected DeviceFailedException Fail(string message, Exception? inner = null)
    {
        Failed = true;
        return new DeviceFailedException(this, message, inner);
    }

    protected void ThrowIfFailed()
    {
        if (Failed)
            throw new DeviceFailedException(this, "the device failed earlier and takes no more work");
    }

    public override string ToString() => $"{Name} ({Kind}, {Description})";

    public virtual void Dispose()
    {
        _hostOutputStaging?.Dispose();
        _hostOutputStaging = null;
        GC.SuppressFinalize(this);
    }
}
