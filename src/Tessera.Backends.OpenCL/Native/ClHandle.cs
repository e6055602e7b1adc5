using System.Runtime.InteropServices;

namespace Tessera.Backends.OpenCL.Native;

/// <summary>What a <see cref="ClHandle"/> holds, which decides the release function.</summary>
internal enum ClObject
{
    Context,
    Queue,
    Memory,
    Program,
    Kernel,
}

/// <summary>
/// Owns one OpenCL object and releases it exactly once (also when only the finalizer gets to it), so a failed
/// creation half way never leaks the objects made before it.
/// </summary>
internal sealed class ClHandle : SafeHandle
{
    public ClHandle(ClObject kind, IntPtr handle) : base(IntPtr.Zero, ownsHandle: true)
    {
        Kind = kind;
        SetHandle(handle);
    }

    public ClObject Kind { get; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The raw handle for a call; valid while this object is not disposed.</summary>
    public IntPtr Value => handle;

    protected override bool ReleaseHandle() => Kind switch
    {
        ClObject.Context => OpenClNative.clReleaseContext(handle),
        ClObject.Queue => OpenClNative.clReleaseCommandQueue(handle),
        ClObject.Memory => OpenClNative.clReleaseMemObject(handle),
        ClObject.Program => OpenClNative.clReleaseProgram(handle),
        _ => OpenClNative.clReleaseKernel(handle),
    } == OpenClNative.Success;
}
