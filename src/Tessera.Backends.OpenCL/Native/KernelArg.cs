namespace Tessera.Backends.OpenCL.Native;

/// <summary>
/// One kernel argument for <see cref="OpenClDevice"/>'s launch helper: an int, a float, a ulong, or a memory location
/// (a page's cl_mem followed by an offset, which takes two argument slots: kernels take (buffer, offset) pairs).
/// </summary>
internal readonly struct KernelArg
{
    private enum ArgKind : byte { Int, Float, ULong, MemoryAt }

    private readonly ArgKind _kind;
    private readonly ulong _value;
    private readonly IntPtr _memory;

    private KernelArg(ArgKind kind, ulong value, IntPtr memory)
    {
        _kind = kind;
        _value = value;
        _memory = memory;
    }

    /// <summary>A cl_mem and the offset (in the kernel parameter's elements or bytes) where the data starts.</summary>
    public static KernelArg At(IntPtr memory, ulong offset) => new(ArgKind.MemoryAt, offset, memory);

    public static implicit operator KernelArg(int value) => new(ArgKind.Int, (uint)value, IntPtr.Zero);

    public static implicit operator KernelArg(float value) => new(ArgKind.Float, BitConverter.SingleToUInt32Bits(value), IntPtr.Zero);

    public static implicit operator KernelArg(ulong value) => new(ArgKind.ULong, value, IntPtr.Zero);

    /// <summary>Sets this argument at <paramref name="index"/> (advanced past the slots used); returns the CL error code.</summary>
    public unsafe int Set(IntPtr kernel, ref uint index)
    {
        switch (_kind)
        {
            case ArgKind.Int:
            case ArgKind.Float:
                uint word = (uint)_value;
                return OpenClNative.clSetKernelArg(kernel, index++, sizeof(uint), &word);
            case ArgKind.ULong:
                ulong value = _value;
                return OpenClNative.clSetKernelArg(kernel, index++, sizeof(ulong), &value);
            default:
                IntPtr memory = _memory;
                int error = OpenClNative.clSetKernelArg(kernel, index++, (nuint)sizeof(IntPtr), &memory);
                if (error != OpenClNative.Success)
                    return error;
                ulong offset = _value;
                return OpenClNative.clSetKernelArg(kernel, index++, sizeof(ulong), &offset);
        }
    }
}
