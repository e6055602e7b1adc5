using Tessera.Backends.OpenCL;
using Tessera.Devices;

namespace Tessera.Runtime.Placement;

/// <summary>
/// The accelerators of this machine, found once per process (opening an OpenCL context and building its kernels takes
/// a while) and kept for its lifetime. Faults named in `TESSERA_FAULT` are scheduled on them here. The OpenCL memory
/// pool's page size and alignment come from `TESSERA_OPENCL_PAGE_MIB` and `TESSERA_OPENCL_ALIGNMENT` (bytes) when set.
/// </summary>
public static class DeviceDiscovery
{
    public const string PageVariable = "TESSERA_OPENCL_PAGE_MIB";
    public const string AlignmentVariable = "TESSERA_OPENCL_ALIGNMENT";

    private static readonly Lazy<(IReadOnlyList<ComputeDevice> Devices, string? Reason)> Found = new(Discover);

    public static IReadOnlyList<ComputeDevice> Accelerators => Found.Value.Devices;

    /// <summary>Why there are none (no OpenCL runtime, no platform, ...); null when some were found.</summary>
    public static string? UnavailableReason => Found.Value.Reason;

    private static (IReadOnlyList<ComputeDevice>, string?) Discover()
    {
        ComputeDevice[] devices;
        string? reason;
        try
        {
            devices = OpenClPlatform.Discover(PoolOptions(), out reason).Cast<ComputeDevice>().ToArray();
        }
        catch (ArgumentException e)
        {
            return ([], $"the OpenCL pool options are invalid ({e.Message.ReplaceLineEndings(" ")}); fix {PageVariable} / {AlignmentVariable}");
        }
        DeviceFaults.ApplyFromEnvironment(devices);
        return (devices, devices.Length == 0 ? reason : null);
    }

    private static OpenClOptions PoolOptions()
    {
        var options = OpenClOptions.Default;
        if (Environment.GetEnvironmentVariable(PageVariable) is { Length: > 0 } page)
            options = options with { PageBytes = Parse(page, PageVariable) << 20 };
        if (Environment.GetEnvironmentVariable(AlignmentVariable) is { Length: > 0 } alignment)
            options = options with { Alignment = (int)Parse(alignment, AlignmentVariable) };
        return options;
    }

    private static long Parse(string text, string variable) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value) && value is > 0 and < (1L << 32)
            ? value
            : throw new ArgumentException($"{variable}={text} is not a positive whole number");
}
