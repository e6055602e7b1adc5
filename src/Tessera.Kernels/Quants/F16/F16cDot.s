# F16 weight row · F32 activations for decode with F16C's vcvtph2ps (F16cDot.cs): .NET 10 exposes no F16C
# intrinsics, and converting halves with integer arithmetic (F16SplitDot) takes about 2.5 instructions per eight
# weights where this takes one, which left F16 decode short of the memory's rate. F16cDot.cs holds the bytes;
# regenerate them after any change with:
#   as F16cDot.s -o code.o && objdump -d -M intel --insn-width=16 code.o
# (the kernel tests assemble this file and compare, where binutils is installed).
#
# Two entries, System V x86-64.
#
# f16c_dot: float dot(ushort* weights, float* x, nint blocks), the sum in xmm0
#   rdi  halves, 64 bytes per block
#   rsi  floats, 128 bytes per block
#   rdx  blocks of 32 values, at least 1
# Four accumulators of eight lanes; vcvtph2ps is exact for every half. No software prefetch: this loop reads 64 bytes
# of weights every 12 instructions, a stream the hardware prefetchers follow, and a prefetcht0 2 KiB or 4 KiB ahead
# made F16 decode 4-9% slower on an AVX2-only Zen 3 (docs/PERFORMANCE.md, fourteenth look).

        .intel_syntax noprefix
        .text
        .globl f16c_dot
f16c_dot:
        vxorps  ymm0, ymm0, ymm0
        vxorps  ymm1, ymm1, ymm1
        vxorps  ymm2, ymm2, ymm2
        vxorps  ymm3, ymm3, ymm3
1:
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

# f16c_dot4 (at F16cDot.Dot4Entry): void dot4(ushort* weights, float* x, nint stride, nint blocks, float* results)
#   rdi  halves, 32 bytes per block
#   rsi  token 0's floats, 64 bytes per block; tokens 1-3 follow, rdx bytes apart
#   rcx  blocks of 16 values, at least 1
#   r8   results[4]: the row against each token
# One row against four tokens (a batch of a few decode steps): each weight is converted once for the four, two
# accumulators per token. The four sums come out of two rounds of vhaddps and one lane add.

        .globl f16c_dot4
f16c_dot4:
        vxorps  ymm0, ymm0, ymm0
        vxorps  ymm1, ymm1, ymm1
        vxorps  ymm2, ymm2, ymm2
        vxorps  ymm3, ymm3, ymm3
        vxorps  ymm4, ymm4, ymm4
        vxorps  ymm5, ymm5, ymm5
        vxorps  ymm6, ymm6, ymm6
        vxorps  ymm7, ymm7, ymm7
        lea     r9, [rsi + rdx]
        lea     r10, [rsi + 2 * rdx]
        lea     r11, [r9 + 2 * rdx]
2:
        prefetcht0 [rdi + 2048]
        vcvtph2ps ymm8, xmmword ptr [rdi]
        vcvtph2ps ymm9, xmmword ptr [rdi + 16]
        vfmadd231ps ymm0, ymm8, [rsi]
        vfmadd231ps ymm1, ymm9, [rsi + 32]
        vfmadd231ps ymm2, ymm8, [r9]
        vfmadd231ps ymm3, ymm9, [r9 + 32]
        vfmadd231ps ymm4, ymm8, [r10]
        vfmadd231ps ymm5, ymm9, [r10 + 32]
        vfmadd231ps ymm6, ymm8, [r11]
        vfmadd231ps ymm7, ymm9, [r11 + 32]
        add     rdi, 32
        add     rsi, 64
        add     r9, 64
        add     r10, 64
        add     r11, 64
        dec     rcx
        jnz     2b
        vaddps  ymm0, ymm0, ymm1
        vaddps  ymm2, ymm2, ymm3
        vaddps  ymm4, ymm4, ymm5
        vaddps  ymm6, ymm6, ymm7
        vhaddps ymm0, ymm0, ymm2
        vhaddps ymm4, ymm4, ymm6
        vhaddps ymm0, ymm0, ymm4
        vextractf128 xmm1, ymm0, 1
        vaddps  xmm0, xmm0, xmm1
        vmovups [r8], xmm0
        vzeroupper
        ret
