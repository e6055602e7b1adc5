using System.Runtime.InteropServices;

namespace Tessera.Devices.Cpu;

/// <summary>Floats in host memory, 64-byte aligned and zeroed.</summary>
public sealed unsafe class HostBuffer : DeviceBuffer
{
    private const int Alignment = 64;

    internal HostBuffer(ComputeDevice device, int length) : base(device, length)
    {
        Pointer = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, length) * sizeof(float), Alignment);
        NativeMemory.Clear(Pointer, (nuint)length * sizeof(float));
    }

    public float* Pointer { get; private set; }

    public Span<float> Span => new(Pointer, Length);

    public override void Dispose()
    {
        if (Pointer == null)
            return;
        NativeMemory.AlignedFree(Pointer);
        Pointer = null;
        GC.SuppressFinalize(this);
    }

    ~HostBuffer() => Dispose();
}
