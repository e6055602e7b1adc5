using Tessera.Devices;

namespace Tessera.Backends.OpenCL.Tests;

/// <summary>
/// The device most tests share (its program is built once per test run), and a way to create private ones for tests
/// that fail or resize a device. Tests run one at a time (see AssemblyInfo): a device is used by one thread at a time.
/// </summary>
internal static class OpenClTestDevice
{
    private static readonly Lazy<(OpenClDevice? Device, string? Reason)> SharedDevice = new(() =>
    {
        var devices = OpenClPlatform.Discover(out string? reason);
        for (int i = 1; i < devices.Count; i++)
            devices[i].Dispose();
        return (devices.Count > 0 ? devices[0] : null, reason);
    });

    /// <summary>Why no OpenCL device is usable here, or null when one is.</summary>
    public static string? UnavailableReason => SharedDevice.Value.Device is null ? SharedDevice.Value.Reason ?? "no device found" : null;

    public static OpenClDevice Shared => SharedDevice.Value.Device ?? throw new InvalidOperationException(UnavailableReason);

    /// <summary>A new device of its own (the caller disposes it).</summary>
    public static OpenClDevice Create(OpenClOptions? options = null)
    {
        var devices = OpenClPlatform.Discover(options ?? OpenClOptions.Default, out string? reason);
        if (devices.Count == 0)
            throw new InvalidOperationException(reason);
        for (int i = 1; i < devices.Count; i++)
            devices[i].Dispose();
        return devices[0];
    }

    public static float[] ReadAll(this ComputeDevice device, DeviceBuffer buffer)
    {
        var values = new float[buffer.Length];
        device.Read(buffer.All, values);
        return values;
    }
}

/// <summary>A fact that is skipped, with the reason, where no OpenCL device is usable (never passes silently).</summary>
public sealed class OpenClFactAttribute : FactAttribute
{
    public OpenClFactAttribute()
    {
        if (OpenClTestDevice.UnavailableReason is { } reason)
            Skip = "no OpenCL runtime: " + reason;
    }
}

/// <summary>A theory that is skipped, with the reason, where no OpenCL device is usable.</summary>
public sealed class OpenClTheoryAttribute : TheoryAttribute
{
    public OpenClTheoryAttribute()
    {
        if (OpenClTestDevice.UnavailableReason is { } reason)
            Skip = "no OpenCL runtime: " + reason;
    }
}
