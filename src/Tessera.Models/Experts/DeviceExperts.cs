using Tessera.Devices;
using Tessera.Tensors;

namespace Tessera.Models.Experts;

/// <summary>One expert's three matrices copied to an accelerator.</summary>
public sealed record DeviceExpertCopy(DeviceMatrix Gate, DeviceMatrix Up, DeviceMatrix Down) : IDisposable
{
    public long Bytes => Gate.Bytes + Up.Bytes + Down.Bytes;

    public void Dispose()
    {
        Gate.Dispose();
        Up.Dispose();
        Down.Dispose();
    }
}

/// <summary>
/// Hot-expert placement across devices: the MoE feed-forward runs on the CPU, and copies of the most chosen experts of
/// every layer are kept in an accelerator's memory within a byte budget; a step runs the experts that have a copy on the
/// accelerator and the others on the CPU, at the same time (<see cref="Blocks.MoeBlock"/>). The choice follows the
/// expert statistics (plus counts of earlier runs): every <see cref="ReplanSteps"/> steps each layer's hot set is
/// recomputed and a background thread uploads the experts that became hot and frees those that went cold, each under
/// the device's <see cref="ComputeDevice.Gate"/>; an expert is used on the device only once its copy is complete, so a
/// step never waits for a copy. Like keeping expert tensors on the CPU and the rest on the GPU, but per expert.
/// </summary>
public sealed unsafe class DeviceExperts : IExpertRoutingObserver, IDisposable
{
    /// <summary>Steps (of the first MoE layer) between re-plans of the hot sets.</summary>
    public const int ReplanSteps = 64;

    private readonly TransformerModel _model;
    private readonly ExpertStatistics _statistics;
    private readonly long[] _seed;
    private readonly int _layers, _experts;
    private readonly DeviceExpertCopy?[] _copies;      // [layer, expert], published once complete
    private readonly bool[] _wanted;                   // [layer, expert] the current plan
    private readonly BackgroundQueue<(int Layer, int Expert)> _uploader;
    private int _stepsSincePlan;
    private long _uploads, _evictions, _deviceChoices, _hostChoices, _residentBytes;
    private bool _disposed;

    /// <param name="seed">[layers, experts] counts of earlier runs, or empty</param>
    public DeviceExperts(TransformerModel model, ComputeDevice device, long budgetBytes, ExpertStatistics statistics, long[] seed)
    {
        var hp = model.Hyperparameters;
        if (!hp.IsMixtureOfExperts)
            throw new ArgumentException("the model has no experts", nameof(model));
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        _model = model;
        Device = device;
        _statistics = statistics;
        _seed = seed;
        _layers = hp.LayerCount;
        _experts = hp.ExpertCount;
        BudgetBytes = budgetBytes;
        long perSlot = 0;
        for (int layer = 0; layer < _layers; layer++)
            perSlot += StoredBytes(device, model.Layers[layer]) / _experts;
        HotPerLayer = perSlot == 0 ? 0 : (int)Math.Min(_experts, budgetBytes / perSlot);
        _copies = new DeviceExpertCopy?[_layers * _experts];
        _wanted = new bool[_layers * _experts];
        _uploader = new BackgroundQueue<(int Layer, int Expert)>("tessera-device-experts", UploadBatch);
        Replan();
        statistics.AddObserver(this);
    }

    public ComputeDevice Device { get; }

    /// <summary>Experts of each layer the budget holds on the device.</summary>
    public int HotPerLayer { get; }

    public long BudgetBytes { get; }

    /// <summary>Device memory the copies take now (never above <see cref="BudgetBytes"/>).</summary>
    public long ResidentBytes => Volatile.Read(ref _residentBytes);

    public long Uploads => Volatile.Read(ref _uploads);
    public long Evictions => Volatile.Read(ref _evictions);

    /// <summary>(token, expert) pairs computed on the device, and on the CPU.</summary>
    public long DeviceChoices => Volatile.Read(ref _deviceChoices);
    public long HostChoices => Volatile.Read(ref _hostChoices);

    /// <summary>Whether the device can take work (it has not failed and the tier is running).</summary>
    public bool Usable => !Device.Failed && !_disposed;

    /// <summary>The expert's copy when it is complete; call under the device's gate.</summary>
    public DeviceExpertCopy? Copy(int layer, int expert) => Volatile.Read(ref _copies[layer * _experts + expert]);

    /// <summary>Whether the current plan wants the expert on the device (its copy may still be on its way).</summary>
    public bool IsWanted(int layer, int expert) => Volatile.Read(ref _wanted[layer * _experts + expert]);

    internal void Count(long onDevice, long onHost)
    {
        _deviceChoices += onDevice;
        _hostChoices += onHost;
    }

    public void Routed(int layer, ReadOnlySpan<int> selected, int tokens)
    {
        if (layer == 0 && ++_stepsSincePlan >= ReplanSteps)
            Replan();
    }

    /// <summary>Recomputes every layer's hot set and queues the experts whose copy must come or go.</summary>
    private void Replan()
    {
        _stepsSincePlan = 0;
        Span<int> order = stackalloc int[_experts];
        for (int layer = 0; layer < _layers; layer++)
        {
            ExpertRanking.MostChosen(_statistics, _seed, layer, order);
            for (int rank = 0; rank < _experts; rank++)
            {
                int index = layer * _experts + order[rank];
                bool wanted = rank < HotPerLayer;
                if (_wanted[index] == wanted)
                    continue;
                Volatile.Write(ref _wanted[index], wanted);
                _uploader.Enqueue((layer, order[rank]));
            }
        }
    }

    /// <summary>One batch of the background thread: frees first, so a shifted plan never holds more than the budget,
    /// then uploads. False (stop) once the device failed: the forward then keeps every expert on the CPU.</summary>
    private bool UploadBatch((int Layer, int Expert)[] batch)
    {
        try
        {
            foreach (var (layer, expert) in batch)
            {
                if (!IsWanted(layer, expert))
                    Apply(layer, expert);
            }
            foreach (var (layer, expert) in batch)
            {
                if (_uploader.Stopping)
                    break;
                if (IsWanted(layer, expert))
                    Apply(layer, expert);
            }
            return true;
        }
        catch (DeviceFailedException)
        {
            return false;
        }
    }

    /// <summary>Brings the expert's copy in line with the plan: uploads it or frees it, under the device's gate.</summary>
    private void Apply(int layer, int expert)
    {
        int index = layer * _experts + expert;
        bool wanted = IsWanted(layer, expert);
        var current = Copy(layer, expert);
        if (wanted == (current != null) || Device.Failed)
            return;
        lock (Device.Gate)
        {
            if (current != null)
            {
                Volatile.Write(ref _copies[index], null);
                Interlocked.Add(ref _residentBytes, -current.Bytes);
                current.Dispose();
                _evictions++;
                return;
            }
            var weights = _model.Layers[layer];
            var copy = new DeviceExpertCopy(Upload(weights.ExpertGate!.Value, expert, _model.Hyperparameters.ExpertFeedForwardLength),
                Upload(weights.ExpertUp!.Value, expert, _model.Hyperparameters.ExpertFeedForwardLength),
                Upload(weights.ExpertDown!.Value, expert, _model.Hyperparameters.EmbeddingLength));
            Interlocked.Add(ref _residentBytes, copy.Bytes);
            Volatile.Write(ref _copies[index], copy);
            _uploads++;
        }
    }

    private DeviceMatrix Upload(WeightMatrix stack, int expert, int rowsPerExpert)
    {
        var matrix = stack.Expert(expert, rowsPerExpert);
        return Device.UploadMatrix($"{stack.Name}[{expert}]", matrix.Type, matrix.Data, matrix.Rows, matrix.Columns);
    }

    /// <summary>Bytes a layer's three expert stacks take once stored on <paramref name="device"/>.</summary>
    private static long StoredBytes(ComputeDevice device, LayerWeights weights)
    {
        long bytes = 0;
        foreach (var stack in new[] { weights.ExpertGate, weights.ExpertUp, weights.ExpertDown })
        {
            if (stack is { } m)
                bytes += GgmlTypeTraits.Of(device.StoredType(m.Type)).BytesFor(m.Columns) * m.Rows;
        }
        return bytes;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _statistics.RemoveObserver(this);
        _uploader.Dispose();
        lock (Device.Gate)
        {
            for (int i = 0; i < _copies.Length; i++)
            {
                _copies[i]?.Dispose();
                _copies[i] = null;
            }
        }
    }
}
