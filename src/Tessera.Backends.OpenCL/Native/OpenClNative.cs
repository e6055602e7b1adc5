using System.Reflection;
using System.Runtime.InteropServices;

namespace Tessera.Backends.OpenCL.Native;

/// <summary>
/// The OpenCL 1.2 entry points the backend uses, bound with source-generated P/Invoke. Handles are raw
/// <see cref="IntPtr"/>s here; <see cref="ClHandle"/> owns them. Every function returns (or writes) a CL error code that
/// the caller checks.
/// </summary>
internal static unsafe partial class OpenClNative
{
    /// <summary>The name the imports use; <see cref="Resolve"/> maps it to the platform's ICD loader.</summary>
    private const string Library = "OpenCL";

    public const int Success = 0;
    public const uint True = 1;

    // clGetPlatformInfo
    public const uint PlatformName = 0x0902;
    public const uint PlatformVersion = 0x0901;

    // clGetDeviceIDs / clGetDeviceInfo
    public const ulong DeviceTypeGpu = 1 << 2;
    public const ulong DeviceTypeAll = 0xFFFFFFFF;
    public const uint DeviceType = 0x1000;
    public const uint DeviceMaxWorkGroupSize = 0x1004;
    public const uint DeviceMaxMemAllocSize = 0x1010;
    public const uint DeviceGlobalMemSize = 0x101F;
    public const uint DeviceLocalMemSize = 0x1023;
    public const uint DeviceName = 0x102B;
    public const uint DriverVersion = 0x102D;

    // clCreateBuffer
    public const ulong MemReadWrite = 1 << 0;

    // clGetProgramBuildInfo
    public const uint ProgramBuildLog = 0x1183;

    private static readonly string[] Candidates = OperatingSystem.IsWindows() ? ["OpenCL.dll"]
        : OperatingSystem.IsMacOS() ? ["/System/Library/Frameworks/OpenCL.framework/OpenCL", "OpenCL"]
        : ["libOpenCL.so.1", "libOpenCL.so", "OpenCL"];

    private static readonly Lazy<(IntPtr Handle, string? Error)> Loaded = new(Load);

    /// <summary>Registers the resolver before any import runs (explicit static constructor: no beforefieldinit).</summary>
    static OpenClNative()
    {
        NativeLibrary.SetDllImportResolver(typeof(OpenClNative).Assembly, Resolve);
    }

    /// <summary>Whether the ICD loader could be loaded; otherwise why not, in one line.</summary>
    public static bool TryLoad(out string? reason)
    {
        reason = Loaded.Value.Error;
        return reason is null;
    }

    private static (IntPtr, string?) Load()
    {
        foreach (var name in Candidates)
        {
            if (NativeLibrary.TryLoad(name, typeof(OpenClNative).Assembly, null, out var handle))
                return (handle, null);
        }
        return (IntPtr.Zero, $"no OpenCL runtime ({Candidates[0]} not found); install an ICD such as pocl-opencl-icd");
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == Library ? Loaded.Value.Handle : IntPtr.Zero;

    [LibraryImport(Library)]
    public static partial int clGetPlatformIDs(uint numEntries, IntPtr* platforms, uint* numPlatforms);

    [LibraryImport(Library)]
    public static partial int clGetPlatformInfo(IntPtr platform, uint name, nuint valueSize, void* value, nuint* valueSizeReturn);

    [LibraryImport(Library)]
    public static partial int clGetDeviceIDs(IntPtr platform, ulong deviceType, uint numEntries, IntPtr* devices, uint* numDevices);

    [LibraryImport(Library)]
    public static partial int clGetDeviceInfo(IntPtr device, uint name, nuint valueSize, void* value, nuint* valueSizeReturn);

    [LibraryImport(Library)]
    public static partial IntPtr clCreateContext(IntPtr* properties, uint numDevices, IntPtr* devices, IntPtr notify, IntPtr userData, int* errorCode);

    [LibraryImport(Library)]
    public static partial int clReleaseContext(IntPtr context);

    [LibraryImport(Library)]
    public static partial IntPtr clCreateCommandQueue(IntPtr context, IntPtr device, ulong properties, int* errorCode);

    [LibraryImport(Library)]
    public static partial int clReleaseCommandQueue(IntPtr queue);

    [LibraryImport(Library)]
    public static partial IntPtr clCreateBuffer(IntPtr context, ulong flags, nuint size, void* hostPointer, int* errorCode);

    [LibraryImport(Library)]
    public static partial int clReleaseMemObject(IntPtr memory);

    [LibraryImport(Library)]
    public static partial int clEnqueueReadBuffer(IntPtr queue, IntPtr buffer, uint blocking, nuint offset, nuint size, void* pointer,
        uint numEvents, IntPtr* waitList, IntPtr* @event);

    [LibraryImport(Library)]
    public static partial int clEnqueueWriteBuffer(IntPtr queue, IntPtr buffer, uint blocking, nuint offset, nuint size, void* pointer,
        uint numEvents, IntPtr* waitList, IntPtr* @event);

    [LibraryImport(Library)]
    public static partial int clEnqueueCopyBuffer(IntPtr queue, IntPtr source, IntPtr destination, nuint sourceOffset, nuint destinationOffset,
        nuint size, uint numEvents, IntPtr* waitList, IntPtr* @event);

    [LibraryImport(Library)]
    public static partial int clEnqueueFillBuffer(IntPtr queue, IntPtr buffer, void* pattern, nuint patternSize, nuint offset, nuint size,
        uint numEvents, IntPtr* waitList, IntPtr* @event);

    [LibraryImport(Library)]
    public static partial IntPtr clCreateProgramWithSource(IntPtr context, uint count, byte** strings, nuint* lengths, int* errorCode);

    [LibraryImport(Library)]
    public static partial int clBuildProgram(IntPtr program, uint numDevices, IntPtr* devices, byte* options, IntPtr notify, IntPtr userData);

    [LibraryImport(Library)]
    public static partial int clGetProgramBuildInfo(IntPtr program, IntPtr device, uint name, nuint valueSize, void* value, nuint* valueSizeReturn);

    [LibraryImport(Library)]
    public static partial int clReleaseProgram(IntPtr program);

    [LibraryImport(Library)]
    public static partial IntPtr clCreateKernel(IntPtr program, byte* name, int* errorCode);

    [LibraryImport(Library)]
    public static partial int clReleaseKernel(IntPtr kernel);

    [LibraryImport(Library)]
    public static partial int clSetKernelArg(IntPtr kernel, uint index, nuint size, void* value);

    [LibraryImport(Library)]
    public static partial int clEnqueueNDRangeKernel(IntPtr queue, IntPtr kernel, uint workDim, nuint* globalOffset, nuint* globalSize,
        nuint* localSize, uint numEvents, IntPtr* waitList, IntPtr* @event);

    [LibraryImport(Library)]
    public static partial int clFlush(IntPtr queue);

    [LibraryImport(Library)]
    public static partial int clFinish(IntPtr queue);
}
