using Tessera.Tensors;

namespace Tessera.Devices.Measurement;

/// <summary>
/// What a short micro-benchmark measured on a device: weight bytes/s of the matrix-vector product per weight type
/// (as stored on the device), FLOP/s of the matrix-matrix product per type, host-to-device and device-to-host bytes/s,
/// and the fixed cost of one small operation (a launch, or a wake-up of the CPU's threads). The planner predicts a
/// plan's speed from these.
/// </summary>
public sealed record DeviceSpeed
{
    public required Dictionary<GgmlType, double> MatVecBytesPerSecond { get; init; }
    public required Dictionary<GgmlType, double> MatMulFlopsPerSecond { get; init; }
    public required double HostToDeviceBytesPerSecond { get; init; }
    public required double DeviceToHostBytesPerSecond { get; init; }
    public required double OperationSeconds { get; init; }
    public required DateTime MeasuredAt { get; init; }

    /// <summary>Matrix-vector bytes/s for <paramref name="type"/>; 0 when the device has no kernel for it.</summary>
    public double MatVec(GgmlType type) => MatVecBytesPerSecond.GetValueOrDefault(type);

    public double MatMul(GgmlType type) => MatMulFlopsPerSecond.GetValueOrDefault(type);
}
