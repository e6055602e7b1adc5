using Tessera.Devices;
using Tessera.Tensors;

namespace Tessera.Models;

/// <summary>
/// What the forward needs from a KV cache: for each layer, the pages of KV cells in the memory of the device that runs
/// that layer's attention (<see cref="DeviceKvLayer"/>), and for each sequence its page table (the same for every
/// layer). The forward writes the new tokens' K and V at their positions, then attends over positions 0..p. How pages
/// are allocated and shared between sequences is the cache's business; it has reserved pages for every position of
/// the batch before the forward runs.
/// </summary>
public interface IKvCacheSeam
{
    /// <summary>F16, F32 or Q8_0.</summary>
    GgmlType ElementType { get; }

    /// <summary>The type of <paramref name="sequenceId"/>'s cells (the element type, or Q8_0 for a sequence kept in the
    /// smaller type; see <see cref="DeviceKvLayer.PageCellsFor"/>).</summary>
    GgmlType SequenceType(int sequenceId);

    /// <summary>Positions each sequence can hold.</summary>
    int PositionCapacity { get; }

    DeviceKvLayer Layer(int layer);

    /// <summary>The page of each block of positions of <paramref name="sequenceId"/>.</summary>
    ReadOnlySpan<int> Pages(int sequenceId);
}
