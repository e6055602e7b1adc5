using Tessera.Devices;
using Tessera.Tensors;

namespace Tessera.Models;

/// <summary>
/// What the forward needs from a KV cache: for each layer, the keys and values of every sequence in the memory of the
/// device that runs that layer's attention (<see cref="DeviceKvLayer"/>). The forward writes the new tokens' K and V
/// at their positions, then attends over positions 0..p. How cells are allocated and shared between sequences is the
/// cache's business.
/// </summary>
public interface IKvCacheSeam
{
    /// <summary>F16 or F32.</summary>
    GgmlType ElementType { get; }

    /// <summary>Positions each sequence can hold.</summary>
    int PositionCapacity { get; }

    DeviceKvLayer Layer(int layer);
}
