# F16 weight row · F32 activations for decode with F16C's vcvtph2ps (F16cDot.cs): .NET 10 exposes no F16C
# intrinsics, and converting halves with integer arithmetic (F16SplitDot) takes about 2.5 instructions per eight
# weights where this takes one, which left F16 decode short of the memory's rate. F16cDot.cs holds the bytes;
# regenerate them after any change with:
#   as F16cDot.s -o code.o && objdump -d -M intel --insn-width=16 code.o
# (the kernel tests assemble this file and compare, where binutils is installed).
#
# System V x86-64: float dot(ushort* weights, float* x, nint blocks), the sum in xmm0
#   rdi  halves, 64 bytes per block
#   rsi  floats, 128 bytes per block
#   rdx  blocks of 32 values, at least 1
# Four accumulators of eight lanes; vcvtph2ps is exact for every half. Each block requests the line 2 KiB ahead in
# the weights, as the managed decode dots do (WeightPrefetch.Stream).

        .intel_syntax noprefix
        .text
        .globl f16c_dot
f16c_dot:
        vxorps  ymm0, ymm0, ymm0
        vxorps  ymm1, ymm1, ymm1
        vxorps  ymm2, ymm2, ymm2
        vxorps  ymm3, ymm3, ymm3
1:
        prefetcht0 [rdi + 2048]
        vcvtph2ps ymm4, xmmword ptr [rdi]
        vcvtph2ps ymm5, xmmword ptr [rdi + 16]
        vcvtph2ps ymm6, xmmword ptr [rdi + 32]
        vcvtph2ps ymm7, xmmword ptr [rdi + 48]
        vfmadd231ps ymm0, ymm4, [rsi]
        vfmadd231ps ymm1, ymm5, [rsi + 32]
        vfmadd231ps ymm2, ymm6, [rsi + 64]
        vfmadd231ps ymm3, ymm7, [rsi + 96]
        add     rdi, 64
        add     rsi, 128
        dec     rdx
        jnz     1b
        vaddps  ymm0, ymm0, ymm1
        vaddps  ymm2, ymm2, ymm3
        vaddps  ymm0, ymm0, ymm2
        vextractf128 xmm1, ymm0, 1
        vaddps  xmm0, xmm0, xmm1
        vmovhlps xmm1, xmm1, xmm0
        vaddps  xmm0, xmm0, xmm1
        vmovshdup xmm1, xmm0
        vaddss  xmm0, xmm0, xmm1
        vzeroupper
        ret
