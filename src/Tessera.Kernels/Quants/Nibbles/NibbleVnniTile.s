# The nibble kernels of NibbleVnniTile.cs: 4 weight rows x 4 or 2 tokens of Q4_0 or IQ4_NL (one block layout) straight
# from the file for batches of a few tokens, and one row x one token for decode, with 512-bit vpdpbusd (AVX512-VNNI). A byte shuffle turns each nibble
# into an unsigned level: Q4_0's nibble itself (the level plus 8), IQ4_NL's table level plus 128 (1..241). vpdpbusd
# multiplies those with the signed activations into 32-bit sums without saturating, and the activations' group
# layout carries the sum to take back out per lane (8 Σx for Q4_0, 128 Σx for IQ4_NL). The managed kernels need
# vpmaddubsw, an add and vpmaddwd for what two vpdpbusd do, and for IQ4_NL's signed levels the sign trick besides.
# .NET 10 exposes no AVX512-VNNI intrinsics; NibbleVnniTile.cs holds the bytes. Regenerate them after any change with:
#   as NibbleVnniTile.s -o tile.o && objdump -d -M intel --insn-width=16 tile.o
# (the kernel tests assemble this file and compare, where binutils is installed).
#
# Four tile entries (each type with 4 tokens and with 2), System V x86-64:
#   void tile(byte* w, nint rowBytes, byte* x, nint xBytes, nint groups, float* c)
#   rdi  row 0's blocks (18 bytes each: the half scale, then 16 bytes of nibbles); rows 1..3 follow, rsi apart
#   rdx  token 0's activations in NibbleActivations' layout (per group of 4 blocks: 64 low quants, 64 high quants,
#        16 int32 lanes of the offset sums, 16 float scales d * 2^112); tokens 1..3 (or 1) follow, rcx apart
#   r8   groups of 4 blocks (128 values), at least 1
#   r9   c[16]: c[4 * r + t], row r against token t (zero for t past the entry's tokens)
# Per group and row, as NibblePackedDot: one vpermt2b gathers the four blocks' nibble bytes, and-masks and a shift
# split them into the low and high planes, one vpermw puts each block's half scale into the top of its four lanes,
# and a shift and a mask turn that into the float d * 2^-112. Per row and token: two vpdpbusd, the offsets
# subtracted, a conversion, the scale product and an FMA into that row and token's accumulator (zmm 4r + t). The end
# sums each accumulator's lanes into lane 4r + t with the shuffle tree of RowPairTile.s.

        .intel_syntax noprefix
        .text

# One row's group at [\w] against \count tokens (4, 2 or 1) from [\x] on, into accumulators zmm\a0..zmm\a3 (zmm23:
# the level table).
.macro ROW w, count, a0, a1, a2, a3, x=rdx
        vmovdqu64 zmm27, [\w]
        vmovq   xmm28, qword ptr [\w + 64]
        vpermw  zmm26, zmm21, zmm27
        vpsrad  zmm26, zmm26, 3
        vpandd  zmm26, zmm26, dword ptr [rip + scale_mask]{1to16}
        vpermt2b zmm27, zmm20, zmm28
        vpsrlw  zmm25, zmm27, 4
        vpandd  zmm24, zmm27, zmm22
        vpandd  zmm25, zmm25, zmm22
        vpshufb zmm24, zmm23, zmm24
        vpshufb zmm25, zmm23, zmm25
        TOKEN   \a0, \x
.if \count > 1
        TOKEN   \a1, \x + rcx
.endif
.if \count > 2
        TOKEN   \a2, rdx + rcx*2
        TOKEN   \a3, rax
.endif
.endm

# The current row's levels (zmm24 low, zmm25 high, zmm26 scales) against the token at [\x], into zmm\acc.
.macro TOKEN acc, x
        vpxord  zmm29, zmm29, zmm29
        vpdpbusd zmm29, zmm24, [\x]
        vpdpbusd zmm29, zmm25, [\x + 64]
        vpsubd  zmm29, zmm29, [\x + 128]
        vcvtdq2ps zmm29, zmm29
        vmulps  zmm30, zmm26, [\x + 192]
        vfmadd231ps zmm\acc, zmm29, zmm30
.endm

.macro PAIR a, b, sum, other
        vunpcklps zmm\sum, zmm\a, zmm\b
        vunpckhps zmm\other, zmm\a, zmm\b
        vaddps  zmm\sum, zmm\sum, zmm\other
.endm

.macro QUAD p, q, sum, other
        vunpcklpd zmm\sum, zmm\p, zmm\q
        vunpckhpd zmm\other, zmm\p, zmm\q
        vaddps  zmm\sum, zmm\sum, zmm\other
.endm

.macro BLOCKS a, b, sum, other
        vshuff32x4 zmm\sum, zmm\a, zmm\b, 0x88
        vshuff32x4 zmm\other, zmm\a, zmm\b, 0xdd
        vaddps  zmm\sum, zmm\sum, zmm\other
.endm

# The setup and the loop over the groups for \count tokens with the level table at \levels, then the shared reduction.
.macro TILE levels, count
        lea     r10, [rsi + rsi*2]
        add     r10, rdi                    # row 3
        lea     rax, [rcx + rcx*2]
        add     rax, rdx                    # token 3
        vmovdqu64 zmm20, [rip + nibble_index]
        vmovdqu64 zmm21, [rip + scale_index]
        vpbroadcastd zmm22, dword ptr [rip + low_nibbles]
        vbroadcasti32x4 zmm23, [rip + \levels]
.irp z, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        vpxord  zmm\z, zmm\z, zmm\z
.endr
1:
        ROW     rdi, \count, 0, 1, 2, 3
        ROW     rdi + rsi, \count, 4, 5, 6, 7
        ROW     rdi + rsi*2, \count, 8, 9, 10, 11
        ROW     r10, \count, 12, 13, 14, 15
        add     rdi, 72
        add     r10, 72
        add     rdx, 256
        add     rax, 256
        dec     r8
        jnz     1b
        jmp     nibble_vnni_sums
.endm

        .globl q4_0_vnni_tile
q4_0_vnni_tile:
        TILE    q4_0_levels, 4

        .globl iq4nl_vnni_tile
iq4nl_vnni_tile:
        TILE    iq4nl_levels, 4

        .globl q4_0_vnni_tile2
q4_0_vnni_tile2:
        TILE    q4_0_levels, 2

        .globl iq4nl_vnni_tile2
iq4nl_vnni_tile2:
        TILE    iq4nl_levels, 2

nibble_vnni_sums:
        PAIR    0, 1, 16, 17
        PAIR    2, 3, 18, 19
        PAIR    4, 5, 20, 21
        PAIR    6, 7, 22, 23
        PAIR    8, 9, 24, 25
        PAIR    10, 11, 26, 27
        PAIR    12, 13, 28, 29
        PAIR    14, 15, 30, 31
        QUAD    16, 18, 0, 1
        QUAD    20, 22, 2, 3
        QUAD    24, 26, 4, 5
        QUAD    28, 30, 6, 7
        BLOCKS  0, 2, 8, 9
        BLOCKS  4, 6, 10, 11
        BLOCKS  8, 10, 12, 13
        vmovups [r9], zmm12
        vzeroupper
        ret

# Decode: float dot(byte* w, byte* x, nint groups), one row against one token (rdi, rsi and rdx as the tiles' rdi,
# rdx and r8), returned in xmm0. Each entry loads its level table and runs the shared loop: two groups a step into two
# accumulators, each step requesting the weight lines 2 KiB ahead as the managed dots do (WeightPrefetch.Stream: the
# lines of the step's first, middle and last bytes).
        .globl q4_0_vnni_dot
q4_0_vnni_dot:
        vbroadcasti32x4 zmm23, [rip + q4_0_levels]
        jmp     nibble_vnni_dot

        .globl iq4nl_vnni_dot
iq4nl_vnni_dot:
        vbroadcasti32x4 zmm23, [rip + iq4nl_levels]

nibble_vnni_dot:
        mov     rax, rdx
        mov     rdx, rsi
        vmovdqu64 zmm20, [rip + nibble_index]
        vmovdqu64 zmm21, [rip + scale_index]
        vpbroadcastd zmm22, dword ptr [rip + low_nibbles]
        vpxord  zmm0, zmm0, zmm0
        vpxord  zmm1, zmm1, zmm1
        sub     rax, 2
        jb      3f
2:
        prefetcht0 [rdi + 2048]
        prefetcht0 [rdi + 2048 + 64]
        prefetcht0 [rdi + 2048 + 143]
        ROW     rdi, 1, 0, 0, 0, 0, rdx
        ROW     rdi + 72, 1, 1, 1, 1, 1, rdx + 256
        add     rdi, 144
        add     rdx, 512
        sub     rax, 2
        jae     2b
3:
        add     rax, 2
        jz      4f
        ROW     rdi, 1, 0, 0, 0, 0, rdx
4:
# Both accumulators' lanes summed into xmm0.
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

# Constants, read relative to the instruction pointer (the code is placed as one piece). Byte j of the gathered
# nibbles is nibble byte j % 16 of block j / 16 (blocks 18 bytes apart, quants after the scale); 64.. select from the
# group's last 8 bytes.
nibble_index:
        .byte 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17
        .byte 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35
        .byte 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53
        .byte 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71
# Word index of block i / 4's scale for the high word of lane i (the low words are not used).
scale_index:
        .short 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9
        .short 18, 18, 18, 18, 18, 18, 18, 18, 27, 27, 27, 27, 27, 27, 27, 27
# Q4_0's levels plus 8: the nibbles themselves.
q4_0_levels:
        .byte 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
# IQ4_NL's levels plus 128.
iq4nl_levels:
        .byte 1, 24, 45, 63, 79, 93, 106, 118, 129, 141, 153, 166, 181, 197, 217, 241
low_nibbles:
        .long 0x0f0f0f0f
# Sign, and exponent and mantissa of a half shifted into float position (HalfBits.HighWordsUnrebiased).
scale_mask:
        .long 0x8fffe000
