# The Q8_0 decode dot of Q8_0VnniDot.cs: one weight row straight from the file against one token's activations in
# Q8_0VnniActivations' layout, with 512-bit vpdpbusd (AVX512-VNNI). vpdpbusd multiplies unsigned by signed bytes, so
# each weight is taken plus 128 (an xor of its sign bit, exact for every int8) and the activations carry the
# 128 Σx to take back out per 32-bit lane. The managed dot needs a sign trick and twice the instructions.
# .NET 10 exposes no AVX512-VNNI intrinsics; Q8_0VnniDot.cs holds the bytes. Regenerate them after any change with:
#   as Q8_0VnniDot.s -o dot.o && objdump -d -M intel --insn-width=16 dot.o
# (the kernel tests assemble this file and compare, where binutils is installed).
#
# float q8_0_vnni_dot(byte* w, byte* x, nint groups), System V x86-64, the sum returned in xmm0:
#   rdi  the row's blocks (34 bytes each: the half scale, then 32 quants), four (one group) a step
#   rsi  the token's groups (384 bytes each: 128 quants, 32 int32 lane offsets 128 Σx, 32 float lane scales d * 2^112)
#   rdx  groups of 4 blocks (128 values), at least 1
# Per group: two 64-byte vectors of weights (blocks 0-1 and 2-3), each a 32-byte load and a 32-byte insert; two
# vpermw put each block's half scale into the top of its eight lanes, and a shift and a mask turn that into the float
# d * 2^-112 (the activations' scales carry the 2^112); per vector one vpdpbusd, the offsets subtracted, a
# conversion, the scale product and an FMA into its accumulator. Each step requests the weight lines 2 KiB ahead
# (WeightPrefetch.Stream's distance).

        .intel_syntax noprefix
        .text

# Weights of blocks at [\w] and [\w + 34] against activations at [\x], scales from the 64 bytes at [\s] with index
# zmm\index, into accumulator zmm\acc.
.macro HALF w, x, s, index, acc
        vmovdqu8 ymm24, [\w + 2]
        vinserti32x8 zmm24, zmm24, [\w + 36], 1
        vpxord  zmm24, zmm24, zmm20
        vpxord  zmm25, zmm25, zmm25
        vpdpbusd zmm25, zmm24, [\x]
        vpsubd  zmm25, zmm25, [\x + 128]
        vcvtdq2ps zmm25, zmm25
        vmovdqu64 zmm26, [\s]
        vpermw  zmm26, zmm\index, zmm26
        vpsrad  zmm26, zmm26, 3
        vpandd  zmm26, zmm26, zmm23
        vmulps  zmm26, zmm26, [\x + 256]
        vfmadd231ps zmm\acc, zmm25, zmm26
.endm

        .globl q8_0_vnni_dot
q8_0_vnni_dot:
        vpbroadcastd zmm20, dword ptr [rip + sign_bits]
        vmovdqu64 zmm21, [rip + scale_index_01]
        vmovdqu64 zmm22, [rip + scale_index_23]
        vpbroadcastd zmm23, dword ptr [rip + scale_mask]
        vpxord  zmm0, zmm0, zmm0
        vpxord  zmm1, zmm1, zmm1
1:
        prefetcht0 [rdi + 2048]
        prefetcht0 [rdi + 2048 + 64]
        prefetcht0 [rdi + 2048 + 128]
        HALF    rdi, rsi, rdi, 21, 0
        HALF    rdi + 68, rsi + 64, rdi + 64, 22, 1
        add     rdi, 136
        add     rsi, 384
        dec     rdx
        jnz     1b
        vaddps  zmm0, zmm0, zmm1
        vextractf64x4 ymm1, zmm0, 1
        vaddps  ymm0, ymm0, ymm1
        vextractf128 xmm1, ymm0, 1
        vaddps  xmm0, xmm0, xmm1
        vmovhlps xmm1, xmm1, xmm0
        vaddps  xmm0, xmm0, xmm1
        vmovshdup xmm1, xmm0
        vaddss  xmm0, xmm0, xmm1
        vzeroupper
        ret

# Constants, read relative to the instruction pointer (the code is placed as one piece).
# Word index of each lane's block scale within the group's first 64 bytes: block 0 at byte 0, block 1 at byte 34.
scale_index_01:
        .short 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        .short 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17
# The same within the next 64 bytes: block 2 at byte 68 - 64, block 3 at byte 102 - 64.
scale_index_23:
        .short 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2
        .short 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19
sign_bits:
        .long 0x80808080
# Sign, and exponent and mantissa of a half shifted into float position (HalfBits.HighWordsUnrebiased).
scale_mask:
        .long 0x8fffe000
