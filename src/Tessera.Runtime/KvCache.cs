using Tessera.Devices;
using Tessera.Models;
using Tessera.Tensors;

namespace Tessera.Runtime;

/// <summary>
/// Keys and values of every layer for up to <see cref="SequenceCapacity"/> sequences of up to
/// <see cref="PositionCapacity"/> positions, in F16 (default, half the memory) or F32. Each layer's cells live on the
/// device that runs that layer's attention (<see cref="DeviceKvLayer"/>), so attention never crosses the bus. Which
/// sequence id belongs to whom is the context's business.
/// </summary>
public sealed class KvCache : IKvCacheSeam, IDisposable
{
    private readonly DeviceKvLayer[] _layers;
    private readonly int _kvHeads;
    private readonly int _headDim;

    /// <param name="devices">the device of each layer's attention; all on the CPU when null</param>
    public KvCache(Hyperparameters hp, int positionCapacity, int sequenceCapacity, GgmlType elementType, IReadOnlyList<ComputeDevice> devices)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(positionCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceCapacity);
        if (elementType is not (GgmlType.F16 or GgmlType.F32))
            throw new ArgumentException($"KV cache type {elementType} is not supported; use F16 or F32", nameof(elementType));
        if (devices.Count != hp.LayerCount)
            throw new ArgumentException($"{devices.Count} devices given for {hp.LayerCount} layers", nameof(devices));
        ElementType = elementType;
        PositionCapacity = positionCapacity;
        SequenceCapacity = sequenceCapacity;
        _kvHeads = hp.KvHeadCount;
        _headDim = hp.HeadDim;
        _layers = new DeviceKvLayer[hp.LayerCount];
        try
        {
            for (int layer = 0; layer < _layers.Length; layer++)
                _layers[layer] = Create(devices[layer]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public GgmlType ElementType { get; }
    public int PositionCapacity { get; }
    public int SequenceCapacity { get; }
    public long TotalBytes => _layers.Sum(l => l?.Bytes ?? 0);

    /// <summary>Bytes of one layer's cells.</summary>
    public long LayerBytes => DeviceKvLayer.BytesFor(_kvHeads, _headDim, PositionCapacity, SequenceCapacity, ElementType);

    public DeviceKvLayer Layer(int layer) => _layers[layer];

    /// <summary>Moves layer <paramref name="layer"/>'s cells to <paramref name="device"/>: new, empty cells (the
    /// caller recomputes them; the old device may have failed and lost them).</summary>
    public void Relocate(int layer, ComputeDevice device)
    {
        if (_layers[layer].Device == device)
            return;
        var replacement = Create(device);
        Release(_layers[layer]);
        _layers[layer] = replacement;
    }

    private DeviceKvLayer Create(ComputeDevice device) => device.CreateKvLayer(_kvHeads, _headDim, PositionCapacity, SequenceCapacity, ElementType);

    private static void Release(DeviceKvLayer? layer)
    {
        try
        {
            layer?.Dispose();
        }
        catch (Exception)
        {
            // The cells of a failed device are gone with it.
        }
    }

    public void Dispose()
    {
        for (int layer = 0; layer < _layers.Length; layer++)
        {
            Release(_layers[layer]);
            _layers[layer] = null!;
        }
    }
}
