namespace Tessera.Devices;

/// <summary>
/// A device call failed at run time (an error code, a lost device, out of memory, or an injected fault). The runtime
/// takes the device out, re-plans its work onto the remaining devices and retries; other exceptions are bugs or bad
/// input and propagate.
/// </summary>
public sealed class DeviceFailedException(ComputeDevice device, string message, Exception? inner = null)
    : Exception($"device {device.Name} failed: {message}", inner)
{
    public ComputeDevice Device { get; } = device;

    /// <summary>What went wrong, without the device's name.</summary>
    public string Reason { get; } = message;
}
