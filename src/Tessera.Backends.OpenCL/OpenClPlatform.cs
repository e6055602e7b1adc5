using System.Text;
using Tessera.Backends.OpenCL.Native;

namespace Tessera.Backends.OpenCL;

/// <summary>What discovery learned about one OpenCL device.</summary>
internal readonly record struct ClDeviceInfo(IntPtr Id, string DeviceName, string PlatformVersion, string DriverVersion, bool IsGpu,
    long GlobalMemory, long MaxAllocation, long MaxWorkGroupSize);

/// <summary>
/// Finds the OpenCL devices of every platform (GPUs, CPUs and accelerators alike) and creates one
/// <see cref="OpenClDevice"/> per device, named `opencl`, `opencl1`, `opencl2`, ... in discovery order.
/// </summary>
public static unsafe class OpenClPlatform
{
    /// <inheritdoc cref="Discover(OpenClOptions, out string?)"/>
    public static IReadOnlyList<OpenClDevice> Discover(out string? unavailableReason) => Discover(OpenClOptions.Default, out unavailableReason);

    /// <summary>
    /// The usable devices (each with its kernels built). Never throws: when there is no runtime, platform or device,
    /// the list is empty and <paramref name="unavailableReason"/> says why in one line; when some devices could not be
    /// set up it names them and the others are returned; otherwise it is null. The caller owns (disposes) the devices.
    /// </summary>
    public static IReadOnlyList<OpenClDevice> Discover(OpenClOptions options, out string? unavailableReason)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var devices = new List<OpenClDevice>();
        var problems = new List<string>();
        try
        {
            if (!OpenClNative.TryLoad(out unavailableReason))
                return devices;
            var infos = FindDevices();
            if (infos.Count == 0)
            {
                unavailableReason = "no OpenCL device: the runtime reports no platform with a device (is an ICD such as pocl-opencl-icd installed?)";
                return devices;
            }
            foreach (var info in infos)
            {
                string name = devices.Count == 0 ? "opencl" : $"opencl{devices.Count}";
                try
                {
                    devices.Add(new OpenClDevice(name, info, options));
                }
                catch (Exception e) when (e is InvalidOperationException or InsufficientMemoryException or OutOfMemoryException)
                {
                    problems.Add($"{info.DeviceName}: {e.Message.Split('\n')[0]}");
                }
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            problems.Add(e.Message);
        }
        unavailableReason = problems.Count == 0 ? null
            : (devices.Count == 0 ? "no usable OpenCL device: " : "some OpenCL devices were skipped: ") + string.Join("; ", problems);
        return devices;
    }

    private static List<ClDeviceInfo> FindDevices()
    {
        var result = new List<ClDeviceInfo>();
        uint platformCount;
        // CL_PLATFORM_NOT_FOUND_KHR (no ICD registered) is "no platform", not an error.
        if (OpenClNative.clGetPlatformIDs(0, null, &platformCount) != OpenClNative.Success || platformCount == 0)
            return result;
        var platforms = new IntPtr[platformCount];
        fixed (IntPtr* p = platforms)
            Check(OpenClNative.clGetPlatformIDs(platformCount, p, null), "clGetPlatformIDs");
        foreach (var platform in platforms)
        {
            uint deviceCount;
            if (OpenClNative.clGetDeviceIDs(platform, OpenClNative.DeviceTypeAll, 0, null, &deviceCount) != OpenClNative.Success || deviceCount == 0)
                continue; // CL_DEVICE_NOT_FOUND
            var ids = new IntPtr[deviceCount];
            fixed (IntPtr* d = ids)
                Check(OpenClNative.clGetDeviceIDs(platform, OpenClNative.DeviceTypeAll, deviceCount, d, null), "clGetDeviceIDs");
            string platformVersion = PlatformString(platform, OpenClNative.PlatformVersion);
            foreach (var id in ids)
            {
                result.Add(new ClDeviceInfo(id, DeviceString(id, OpenClNative.DeviceName), platformVersion,
                    DeviceString(id, OpenClNative.DriverVersion),
                    (DeviceScalar<ulong>(id, OpenClNative.DeviceType) & OpenClNative.DeviceTypeGpu) != 0,
                    (long)DeviceScalar<ulong>(id, OpenClNative.DeviceGlobalMemSize),
                    (long)DeviceScalar<ulong>(id, OpenClNative.DeviceMaxMemAllocSize),
                    (long)DeviceScalar<nuint>(id, OpenClNative.DeviceMaxWorkGroupSize)));
            }
        }
        return result;
    }

    private static T DeviceScalar<T>(IntPtr device, uint name) where T : unmanaged
    {
        T value;
        Check(OpenClNative.clGetDeviceInfo(device, name, (nuint)sizeof(T), &value, null), "clGetDeviceInfo");
        return value;
    }

    private static string DeviceString(IntPtr device, uint name)
    {
        nuint size;
        Check(OpenClNative.clGetDeviceInfo(device, name, 0, null, &size), "clGetDeviceInfo");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes)
            Check(OpenClNative.clGetDeviceInfo(device, name, size, b, null), "clGetDeviceInfo");
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0').Trim();
    }

    private static string PlatformString(IntPtr platform, uint name)
    {
        nuint size;
        Check(OpenClNative.clGetPlatformInfo(platform, name, 0, null, &size), "clGetPlatformInfo");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes)
            Check(OpenClNative.clGetPlatformInfo(platform, name, size, b, null), "clGetPlatformInfo");
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0').Trim();
    }

    private static void Check(int error, string call)
    {
        if (error != OpenClNative.Success)
            throw new InvalidOperationException($"{call} failed with {ClErrors.Name(error)}");
    }
}
