namespace Tessera.Kernels.Quants;

/// <summary>The instruction-set family a kernel path is written for.</summary>
internal enum Isa
{
    /// <summary>Readable reference: plain loops over decoded integers/floats.</summary>
    Scalar,
    /// <summary>Portable 128-bit vectors (<c>Vector128</c>), the path ARM64 (NEON) takes.</summary>
    Vector128,
    /// <summary>AVX2 + FMA (256-bit).</summary>
    Avx2,
    /// <summary>AVX-512 F/BW (512-bit).</summary>
    Avx512,
}

/// <summary>
/// One implementation of a row dot product: <c>float Dot(byte* weightRow, byte* activationRow, int k)</c> where the
/// weight row is in the weight type's file layout and the activation row is in the paired activation type.
/// </summary>
internal readonly unsafe struct DotPath(Isa isa, bool isSupported, delegate*<byte*, byte*, int, float> dot)
{
    public Isa Isa { get; } = isa;

    /// <summary>Whether this CPU can run the path.</summary>
    public bool IsSupported { get; } = isSupported;

    public delegate*<byte*, byte*, int, float> Dot { get; } = dot;

    public override string ToString() => Isa.ToString();
}

/// <summary>Which ISA paths this process may use (the JIT folds these to constants).</summary>
internal static class IsaSupport
{
    public static bool Avx2 => System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;

    public static bool Avx512 => System.Runtime.Intrinsics.X86.Avx512BW.IsSupported && System.Runtime.Intrinsics.X86.Avx512F.IsSupported;

    /// <summary>AVX2 with VEX-encoded VNNI (vpdpbusd: u8 x s8 products summed straight into int32, no int16 step).</summary>
    public static bool AvxVnni => Avx2 && System.Runtime.Intrinsics.X86.AvxVnni.IsSupported;

    public static bool Vector128 => System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated;

    /// <summary>AVX on in the runtime and F16C in the CPU (CPUID leaf 1, ECX bit 29): .NET exposes no F16C class, so
    /// the machine-code kernels that use <c>vcvtph2ps</c> ask here (a CPUID call: read it once, at start-up).</summary>
    public static bool F16c => System.Runtime.Intrinsics.X86.Avx.IsSupported && (System.Runtime.Intrinsics.X86.X86Base.CpuId(1, 0).Ecx & (1 << 29)) != 0;

    /// <summary>AVX-512 on in the runtime and AVX512-VNNI in the CPU (CPUID leaf 7, ECX bit 11): .NET exposes no
    /// 512-bit vpdpbusd, so the machine-code kernels that use it ask here (a CPUID call: read it once, at start-up).</summary>
    public static bool Avx512Vnni => Avx512 && (System.Runtime.Intrinsics.X86.X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0;
}
