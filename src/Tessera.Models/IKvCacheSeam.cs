using Tessera.Kernels.Attention;
using Tessera.Tensors;

namespace Tessera.Models;

/// <summary>
/// What the forward needs from a KV cache: for a layer and a sequence, the keys and values of positions
/// 0..<see cref="PositionCapacity"/>-1 laid out [positions, kvHeads, headDim] in <see cref="ElementType"/>.
/// The forward writes the new tokens' K and V at their positions, then attends over positions 0..p.
/// How cells are allocated and shared between sequences is the cache's business.
/// </summary>
public interface IKvCacheSeam
{
    /// <summary>F16 or F32.</summary>
    GgmlType ElementType { get; }

    /// <summary>Positions each sequence can hold.</summary>
    int PositionCapacity { get; }

    KvCacheView View(int layer, int sequenceId);
}
