using Tessera.Backends.OpenCL;
using Tessera.Devices;

namespace Tessera.Runtime.Placement;

/// <summary>
/// The accelerators of this machine, found once per process (opening an OpenCL context and building its kernels takes
/// a while) and kept for its lifetime. Faults named in `TESSERA_FAULT` are scheduled on them here.
/// </summary>
public static class DeviceDiscovery
{
    private static readonly Lazy<(IReadOnlyList<ComputeDevice> Devices, string? Reason)> Found = new(Discover);

    public static IReadOnlyList<ComputeDevice> Accelerators => Found.Value.Devices;

    /// <summary>Why there are none (no OpenCL runtime, no platform, ...); null when some were found.</summary>
    public static string? UnavailableReason => Found.Value.Reason;

    private static (IReadOnlyList<ComputeDevice>, string?) Discover()
    {
        var devices = OpenClPlatform.Discover(out string? reason).Cast<ComputeDevice>().ToArray();
        DeviceFaults.ApplyFromEnvironment(devices);
        return (devices, devices.Length == 0 ? reason : null);
    }
}
