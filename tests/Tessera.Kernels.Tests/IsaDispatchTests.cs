using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.BF16;
using Tessera.Kernels.Quants.Nibbles;
using Tessera.Kernels.Quants.Q4_0;
using Tessera.Kernels.Quants.Q4_K;
using Tessera.Kernels.Quants.Q5_0;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The dispatch table takes each type's widest path the runtime allows. CI runs the kernel tests a second time with
/// AVX-512 and AVX-VNNI turned off in the runtime (DOTNET_EnableAVX512=0, DOTNET_EnableAVXVNNI=0) and
/// TESSERA_EXPECT_ISA=avx2, so the AVX2-only paths are exercised on AVX-512 machines too; this test proves that run
/// really had no AVX-512.
/// </summary>
public sealed unsafe class IsaDispatchTests
{
    public const string ExpectIsaVariable = "TESSERA_EXPECT_ISA";

    [Theory]
    [MemberData(nameof(KernelPaths.Types), MemberType = typeof(KernelPaths))]
    public void The_dot_product_is_the_widest_supported_path(GgmlType type)
    {
        var widest = KernelPaths.For(type).Last(path => path.IsSupported);
        Assert.True((nint)QuantKernels.Get(type).Dot == (nint)widest.Dot, $"{type}: the table does not use its {widest.Isa} path");
        if (Environment.GetEnvironmentVariable(ExpectIsaVariable) == "avx2")
            Assert.NotEqual(Isa.Avx512, widest.Isa);
    }

    [Fact]
    public void A_run_that_expects_AVX2_only_sees_no_AVX512_anywhere()
    {
        string? expected = Environment.GetEnvironmentVariable(ExpectIsaVariable);
        // The CPU's own flags (Linux), against which the runtime's view and the machine-code kernels are checked.
        var cpuFlags = File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo").Split((char[])[' ', '\t', '\n']).ToHashSet() : [];
        // F16C (an AVX2-level instruction) converts halves in every run wherever the CPU has it (on Linux x86-64,
        // which places the machine code).
        Assert.Equal(cpuFlags.Contains("f16c") && System.Runtime.Intrinsics.X86.Avx.IsSupported && OperatingSystem.IsLinux(), Numerics.F16cConversion.IsSupported);
        // So does the F16C decode dot, which the F16 decode table then uses.
        Assert.Equal(cpuFlags.Contains("f16c") && System.Runtime.Intrinsics.X86.Fma.IsSupported && OperatingSystem.IsLinux(), Quants.F16.F16cDot.IsSupported);
        // The F16 row-panel tile of prompt matmuls runs wherever the CPU has F16C, and F16 and BF16 prompts take row
        // panels exactly where AVX-512 is off (else the 8 x 32 float tile does), so the AVX2-only run exercises them.
        Assert.Equal(cpuFlags.Contains("f16c") && System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported && OperatingSystem.IsLinux(),
            Quants.F16.F16cRowPanelTile.IsSupported);
        Assert.Equal(Quants.F16.F16cRowPanelTile.IsSupported && !IsaSupport.Avx512, FloatMatMul.TakesRowPanels(QuantKernels.Get(GgmlType.F16)));
        // BF16's row-panel tile is managed: wherever AVX2 and FMA run without AVX-512.
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported && !IsaSupport.Avx512,
            FloatMatMul.TakesRowPanels(QuantKernels.Get(GgmlType.BF16)));
        Assert.False(FloatMatMul.TakesRowPanels(QuantKernels.Get(GgmlType.F32)));
        if (Quants.F16.F16cDot.IsSupported)
        {
            Assert.True(QuantKernels.TryGet(GgmlType.F16, 2048, out var decode), "no F16 kernel");
            Assert.True((nint)decode.Dot == (nint)(delegate*<byte*, byte*, int, float>)&Quants.F16.F16cDot.Dot, "F16 decode does not use the F16C dot");
        }
        if (expected is null)
        {
            // The normal run: the packed AVX-512 layouts are on exactly when the CPU has VBMI, and the VNNI panel
            // whenever the CPU reports AVX-VNNI, so its tests really run there; without VNNI, Q8_0 and IQ4_NL take
            // the panel's signed form (and an AVX2-only CPU runs this branch too).
            Assert.Equal(IsaSupport.Avx512 && System.Runtime.Intrinsics.X86.Avx512Vbmi.IsSupported, NibblePackedDot<Q4_0NibbleLevels>.IsSupported);
            if (cpuFlags.Contains("avx_vnni") && Environment.GetEnvironmentVariable("DOTNET_EnableAVXVNNI") != "0")
                Assert.True(IsaSupport.AvxVnni, "the CPU has AVX-VNNI but the runtime does not use it");
            Assert.Equal(IsaSupport.Avx2, QuantKernels.Get(GgmlType.Q8_0).PanelTile != null);
            Assert.Equal(IsaSupport.Avx2 && !IsaSupport.AvxVnni, QuantKernels.Get(GgmlType.Q8_0).PanelSignedActivations);
            // BF16 prompts take vdpbf16ps wherever the CPU has it (Linux x86-64 places the machine code).
            Assert.Equal(IsaSupport.Avx512 && BF16PairTile.CpuHasAvx512Bf16 && OperatingSystem.IsLinux(), BF16PairTile.IsSupported);
            // Two panel groups at once with 512-bit VNNI wherever the CPU has AVX512-VNNI and the runtime AVX-VNNI.
            Assert.Equal(IsaSupport.Avx512 && IsaSupport.AvxVnni && cpuFlags.Contains("avx512_vnni") && OperatingSystem.IsLinux(), Quants.Panel.Int8PanelPairTile.IsSupported);
            return;
        }
        Assert.Equal("avx2", expected);
        Assert.True(IsaSupport.Avx2, "the AVX2-only run needs a CPU with AVX2 and FMA");
        Assert.False(IsaSupport.Avx512);
        Assert.False(Vector512.IsHardwareAccelerated);
        Assert.False(System.Runtime.Intrinsics.X86.AvxVnni.IsSupported);
        Assert.False(NibblePackedDot<Q4_0NibbleLevels>.IsSupported);
        Assert.False(Q4_KPackedDot.IsSupported);
        Assert.False(Q5_0PackedDot.IsSupported);
        Assert.False(BF16PairTile.IsSupported);
        Assert.False(Quants.Panel.Int8PanelPairTile.IsSupported);
        Assert.False(QuantKernels.TryGet(GgmlType.Q4_0, 4096, out var kernel) && kernel.WeightBlockBytes == NibblePackedDot<Q4_0NibbleLevels>.GroupBytes);
    }
}
