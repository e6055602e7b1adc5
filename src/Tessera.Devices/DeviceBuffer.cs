namespace Tessera.Devices;

/// <summary>
/// F32 values in one device's memory. Only that device's operations read or write it; data crosses to another device
/// through <see cref="ComputeDevice.Read"/> and <see cref="ComputeDevice.Write"/>.
/// </summary>
public abstract class DeviceBuffer : IDisposable
{
    protected DeviceBuffer(ComputeDevice device, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Device = device;
        Length = length;
    }

    public ComputeDevice Device { get; }

    /// <summary>Floats held.</summary>
    public int Length { get; }

    public DeviceSpan All => new(this, 0, Length);

    public DeviceSpan Slice(int offset, int length) => All.Slice(offset, length);

    public abstract void Dispose();
}
