# The row-pair tiles (RowPairTile.cs): 2 weight rows x 8, 4 or 2 tokens for batches of a few tokens, BF16 rows with
# vdpbf16ps (AVX512-BF16) and F16 rows with vcvtph2ps and FMA (AVX-512 F). The lanes hold values of k (a row's slice
# against a token's slice per instruction), so each (row, token) sum is reduced across its lanes at the end. .NET 10
# exposes neither AVX512-BF16 nor the half conversion as intrinsics; RowPairTile.cs holds the bytes. Regenerate them
# after any change with:
#   as RowPairTile.s -o tile.o && objdump -d -M intel --insn-width=16 tile.o
# (the kernel tests assemble this file and compare, where binutils is installed).
#
# Eight entries, System V x86-64: void tile(ushort* w, nint rowBytes, byte* x, nint slices, float* c, nint ahead);
# the last two are F16's AVX2 form (256-bit, 4 or 2 tokens), for CPUs without AVX-512.
#   rdi  row 0's values (BF16 or F16); row 1 at rdi + rsi
#   rdx  the tokens (TokenSlices): per slice of k (32 BF16 values, 16 F16 values), each token's slice as 64 bytes
#        (32 values rounded to BF16, or 16 floats), 8, 4 or 2 tokens one after another
#   rcx  slices of k, at least 1
#   r8   c[16]: c[r * 8 + t], row r against token t (t below the entry's token count; the rest are zero)
#   r9   bytes from each row to the weights to request while the loop runs (the next pair's, a row on): one line of
#        each per slice, spread through the loop, where a burst of a whole range's requests stalls the core
# zmm0..7 accumulate row 0 against tokens 0..7, zmm8..15 row 1; zmm16/zmm17 hold the rows' slices (as floats for
# F16), zmm18.. the tokens'. The end sums each accumulator's 16 lanes, all 16 at once in a tree of shuffles (about 45
# instructions where 16 separate sums take about 200).

        .intel_syntax noprefix
        .text

# Row 0 and row 1 against token \t's slice at [rdx + 64 * \t], loaded into zmm\x: into zmm\t and zmm\high, with
# \op (vdpbf16ps: BF16 pairs; vfmadd231ps: floats).
.macro TOKEN op, t, high, x
        vmovups zmm\x, [rdx + 64 * \t]
        \op    zmm\t, zmm16, zmm\x
        \op    zmm\high, zmm17, zmm\x
.endm

# Zeroes the 16 accumulators, loops over the slices for \count tokens (8, 4 or 2), then jumps to the shared
# reduction. \load brings a row's slice into a register (vmovups: 32 BF16 values; vcvtph2ps: 16 halves to floats),
# \op multiplies, \step is a row slice's bytes.
.macro LOOP count, load, op, step
        lea     r10, [rsi + r9]
.irp z, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        vpxord  zmm\z, zmm\z, zmm\z
.endr
1:
        prefetcht0 [rdi + r9]
        prefetcht0 [rdi + r10]
        \load  zmm16, [rdi]
        \load  zmm17, [rdi + rsi]
        TOKEN   \op, 0, 8, 18
        TOKEN   \op, 1, 9, 19
.if \count > 2
        TOKEN   \op, 2, 10, 20
        TOKEN   \op, 3, 11, 21
.endif
.if \count > 4
        TOKEN   \op, 4, 12, 22
        TOKEN   \op, 5, 13, 23
        TOKEN   \op, 6, 14, 24
        TOKEN   \op, 7, 15, 25
.endif
        add     rdi, \step
        add     rdx, 64 * \count
        dec     rcx
        jnz     1b
        jmp     row_pair_sums
.endm

        .globl bf16_row_pair_tile8
bf16_row_pair_tile8:
        LOOP    8, vmovups, vdpbf16ps, 64

        .globl bf16_row_pair_tile4
bf16_row_pair_tile4:
        LOOP    4, vmovups, vdpbf16ps, 64

        .globl bf16_row_pair_tile2
bf16_row_pair_tile2:
        LOOP    2, vmovups, vdpbf16ps, 64

        .globl f16_row_pair_tile8
f16_row_pair_tile8:
        LOOP    8, vcvtph2ps, vfmadd231ps, 32

        .globl f16_row_pair_tile4
f16_row_pair_tile4:
        LOOP    4, vcvtph2ps, vfmadd231ps, 32

        .globl f16_row_pair_tile2
f16_row_pair_tile2:
        LOOP    2, vcvtph2ps, vfmadd231ps, 32

# The AVX2 form for F16 (ymm0..15 only, VEX): 2 rows x 4 or 2 tokens, a 16-value slice a step in two halves of 8.
# ymm0..3 accumulate row 0 against tokens 0..3, ymm4..7 row 1; ymm8/ymm9 hold row 0's halves as floats, ymm10/ymm11
# row 1's; ymm12/ymm13 a token's halves.
.macro TOKEN_AVX2 t, high
        vmovups ymm12, [rdx + 64 * \t]
        vfmadd231ps ymm\t, ymm8, ymm12
        vfmadd231ps ymm\high, ymm10, ymm12
        vmovups ymm13, [rdx + 64 * \t + 32]
        vfmadd231ps ymm\t, ymm9, ymm13
        vfmadd231ps ymm\high, ymm11, ymm13
.endm

.macro LOOP_AVX2 count
        lea     r10, [rsi + r9]
.irp z, 0, 1, 2, 3, 4, 5, 6, 7
        vxorps  ymm\z, ymm\z, ymm\z
.endr
1:
        prefetcht0 [rdi + r9]
        prefetcht0 [rdi + r10]
        vcvtph2ps ymm8, xmmword ptr [rdi]
        vcvtph2ps ymm9, xmmword ptr [rdi + 16]
        vcvtph2ps ymm10, xmmword ptr [rdi + rsi]
        vcvtph2ps ymm11, xmmword ptr [rdi + rsi + 16]
        TOKEN_AVX2 0, 4
        TOKEN_AVX2 1, 5
.if \count > 2
        TOKEN_AVX2 2, 6
        TOKEN_AVX2 3, 7
.endif
        add     rdi, 32
        add     rdx, 64 * \count
        dec     rcx
        jnz     1b
        jmp     row_pair_sums_avx2
.endm

        .globl f16_row_pair_tile4_avx2
f16_row_pair_tile4_avx2:
        LOOP_AVX2 4

        .globl f16_row_pair_tile2_avx2
f16_row_pair_tile2_avx2:
        LOOP_AVX2 2

# Accumulator 4r + t summed into c[8r + t]: pairs and quads as below, per 128-bit lane, then the two lanes added;
# c[8r + 4..7] are written zero.
row_pair_sums_avx2:
        vunpcklps ymm8, ymm0, ymm1
        vunpckhps ymm9, ymm0, ymm1
        vaddps  ymm8, ymm8, ymm9
        vunpcklps ymm9, ymm2, ymm3
        vunpckhps ymm10, ymm2, ymm3
        vaddps  ymm9, ymm9, ymm10
        vunpcklps ymm10, ymm4, ymm5
        vunpckhps ymm11, ymm4, ymm5
        vaddps  ymm10, ymm10, ymm11
        vunpcklps ymm11, ymm6, ymm7
        vunpckhps ymm12, ymm6, ymm7
        vaddps  ymm11, ymm11, ymm12
        vunpcklpd ymm12, ymm8, ymm9
        vunpckhpd ymm13, ymm8, ymm9
        vaddps  ymm12, ymm12, ymm13
        vunpcklpd ymm13, ymm10, ymm11
        vunpckhpd ymm14, ymm10, ymm11
        vaddps  ymm13, ymm13, ymm14
        vextractf128 xmm14, ymm12, 1
        vaddps  xmm14, xmm14, xmm12
        vextractf128 xmm15, ymm13, 1
        vaddps  xmm15, xmm15, xmm13
        vxorps  xmm0, xmm0, xmm0
        vmovups [r8], xmm14
        vmovups [r8 + 16], xmm0
        vmovups [r8 + 32], xmm15
        vmovups [r8 + 48], xmm0
        vzeroupper
        ret

# Accumulator j (row j / 8, token j % 8) summed into lane j of one vector:
#   1. pairs of accumulators: the even and odd elements of each 128-bit block interleaved and added, so that a
#      block holds two partial sums of each of the two;
#   2. pairs of those: the 64-bit halves interleaved and added, so that block b of vector q holds accumulators
#      4q..4q+3 summed over their block b;
#   3. and 4. the four blocks added across vectors with vshuff32x4 (blocks 0 and 2 against 1 and 3, twice), which
#      leaves accumulator 4q + i in lane 4q + i.
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

row_pair_sums:
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
        vmovups [r8], zmm12
        vzeroupper
        ret
