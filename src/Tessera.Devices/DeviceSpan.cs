namespace Tessera.Devices;

/// <summary>A range of floats [Offset, Offset + Length) of a <see cref="DeviceBuffer"/>; what device operations take.</summary>
public readonly record struct DeviceSpan
{
    public DeviceSpan(DeviceBuffer buffer, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (offset < 0 || length < 0 || (long)offset + length > buffer.Length)
            throw new ArgumentOutOfRangeException(nameof(length), $"range [{offset}, {(long)offset + length}) is outside a buffer of {buffer.Length} floats");
        Buffer = buffer;
        Offset = offset;
        Length = length;
    }

    public DeviceBuffer Buffer { get; }
    public int Offset { get; }
    public int Length { get; }
    public ComputeDevice Device => Buffer.Device;

    public DeviceSpan Slice(int offset, int length) => new(Buffer, Offset + offset, length);

    /// <summary>The first <paramref name="length"/> floats.</summary>
    public DeviceSpan Take(int length) => Slice(0, length);
}
