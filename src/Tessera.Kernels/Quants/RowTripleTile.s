# The row-triple tiles (RowTripleTile.cs): 3 F16, BF16 or F32 weight rows x 4 tokens for batches of a few to tens of
# tokens on CPUs without AVX-512, both read in place. The lanes hold values of k (8 of a row against 8 of a token per
# FMA), so each (row, token) sum is reduced across its lanes at the end. F16 rows widen with vcvtph2ps (F16C), which
# .NET 10 exposes no intrinsic for; BF16 rows with a zero extension and a shift and F32 rows as they are, kept beside
# it so all share one loop. RowTripleTile.cs holds the bytes. Regenerate them after any change with:
#   as RowTripleTile.s -o tile.o && objdump -d -M intel --insn-width=16 tile.o
# (the kernel tests assemble this file and compare, where binutils is installed).
#
# Six entries (F16, BF16 and F32, each plain and requesting ahead), System V x86-64:
# void tile(byte* w, nint rowBytes, float* x, nint xBytes, nint steps, float* y, nint yBytes)
#   rdi  row 0's values; row r at rdi + r * rsi
#   rdx  token 0's floats; token t at rdx + t * rcx
#   r8   steps of 8 values of k, at least 1
#   r9   token 0's 3 results (rows 0-2, one after another); token t's at r9 + t * yBytes
#   [rsp + 8]  yBytes
# The entries that request ahead also request the next triple's rows (rows 3-5) at the offsets they read, one request
# per row and step, so that the first token group of a triple brings the next one's weights in while it computes.
# ymm0..11 accumulate (row r, token t in ymm(4r + t)); ymm12..14 hold the rows' 8 values as floats (both widenings
# are exact); ymm15 one token's 8 values at a time.

        .intel_syntax noprefix
        .text

# 8 of a row's values at \at as floats in ymm\z, by \type: 0 F16 (vcvtph2ps), 1 BF16 (each 16 bits moved to the top
# of a 32-bit lane), 2 F32 (loaded as they are).
.macro WIDEN type, z, at:vararg
.if \type == 0
        vcvtph2ps ymm\z, xmmword ptr \at
.elseif \type == 1
        vpmovzxwd ymm\z, xmmword ptr \at
        vpslld  ymm\z, ymm\z, 16
.else
        vmovups ymm\z, ymmword ptr \at
.endif
.endm

# One step: 8 values of each row (at byte \w on from rdi / r11) against 8 of each token (\x on from rdx / r10), and
# with \prefetch the next triple's rows at the same offsets requested.
.macro STEP type, prefetch, w, x
.if \prefetch
        prefetcht0 [r11 + rsi + \w]
        prefetcht0 [r11 + rsi * 2 + \w]
        prefetcht0 [r11 + rax + \w]
.endif
        WIDEN   \type, 12, [rdi + \w]
        WIDEN   \type, 13, [rdi + rsi + \w]
        WIDEN   \type, 14, [r11 + \w]
        vmovups ymm15, [rdx + \x]
        vfmadd231ps ymm0, ymm12, ymm15
        vfmadd231ps ymm4, ymm13, ymm15
        vfmadd231ps ymm8, ymm14, ymm15
        vmovups ymm15, [rdx + rcx + \x]
        vfmadd231ps ymm1, ymm12, ymm15
        vfmadd231ps ymm5, ymm13, ymm15
        vfmadd231ps ymm9, ymm14, ymm15
        vmovups ymm15, [rdx + rcx * 2 + \x]
        vfmadd231ps ymm2, ymm12, ymm15
        vfmadd231ps ymm6, ymm13, ymm15
        vfmadd231ps ymm10, ymm14, ymm15
        vmovups ymm15, [r10 + \x]
        vfmadd231ps ymm3, ymm12, ymm15
        vfmadd231ps ymm7, ymm13, ymm15
        vfmadd231ps ymm11, ymm14, ymm15
.endm

# Zeroes the accumulators, takes one step alone when the count is odd, then two steps a turn (half the loop's pointer
# updates and branches, which held the loop back: +5-21% against one step a turn on a Zen 3, 32 tokens). \wstep is
# the bytes of a row's 8 values.
.macro LOOP type, prefetch, wstep
.irp z, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
        vxorps  ymm\z, ymm\z, ymm\z
.endr
        lea     r10, [rdx + rcx * 2]
        add     r10, rcx                        # token 3
        lea     r11, [rdi + rsi * 2]            # row 2
        lea     rax, [rsi + rsi * 2]            # three rows: row 5 at r11 + rax
        test    r8, 1
        jz      2f
        STEP    \type, \prefetch, 0, 0
        add     rdi, \wstep
        add     r11, \wstep
        add     rdx, 32
        add     r10, 32
        dec     r8
        jz      3f
2:
        STEP    \type, \prefetch, 0, 0
        STEP    \type, \prefetch, \wstep, 32
        add     rdi, 2 * \wstep
        add     r11, 2 * \wstep
        add     rdx, 64
        add     r10, 64
        sub     r8, 2
        jnz     2b
3:
        jmp     row_triple_sums
.endm

        .globl f16_row_triple_tile
f16_row_triple_tile:
        LOOP    0, 0, 16

        .globl f16_row_triple_tile_prefetch
f16_row_triple_tile_prefetch:
        LOOP    0, 1, 16

        .globl bf16_row_triple_tile
bf16_row_triple_tile:
        LOOP    1, 0, 16

        .globl bf16_row_triple_tile_prefetch
bf16_row_triple_tile_prefetch:
        LOOP    1, 1, 16

        .globl f32_row_triple_tile
f32_row_triple_tile:
        LOOP    2, 0, 32

        .globl f32_row_triple_tile_prefetch
f32_row_triple_tile_prefetch:
        LOOP    2, 1, 32

# Row r's four accumulators into one vector of its four tokens' sums, in \out: lane pairs added within each
# accumulator and across pairs of them (vhaddps twice), which leaves token t's sum of 128-bit lane l in element t of
# lane l; the two lanes then added.
.macro ROW a, b, c, d, out
        vhaddps ymm\out, ymm\a, ymm\b
        vhaddps ymm15, ymm\c, ymm\d
        vhaddps ymm\out, ymm\out, ymm15
        vextractf128 xmm15, ymm\out, 1
        vaddps  xmm\out, xmm\out, xmm15
.endm

# Token t's three sums (element t of rows 0-2, \sums holding them in elements 0-2) to y: 8 bytes, then 4.
.macro STORE sums
        vmovlps [r9], xmm\sums
        vextractps [r9 + 8], xmm\sums, 2
        add     r9, rax
.endm

# The rows' vectors (xmm12-14) transposed into the tokens' (xmm0, xmm1, xmm4, xmm5: rows 0-2 in elements 0-2) and
# stored, 12 bytes a token, so the caller copies nothing.
row_triple_sums:
        ROW     0, 1, 2, 3, 12
        ROW     4, 5, 6, 7, 13
        ROW     8, 9, 10, 11, 14
        mov     rax, [rsp + 8]
        vunpcklps xmm2, xmm12, xmm13            # rows 0, 1 of tokens 0 and 1
        vunpckhps xmm3, xmm12, xmm13            # rows 0, 1 of tokens 2 and 3
        vunpcklps xmm6, xmm14, xmm14            # row 2 of tokens 0 and 1 (each twice)
        vunpckhps xmm7, xmm14, xmm14            # row 2 of tokens 2 and 3
        vmovlhps xmm0, xmm2, xmm6
        vmovhlps xmm1, xmm6, xmm2
        vmovlhps xmm4, xmm3, xmm7
        vmovhlps xmm5, xmm7, xmm3
        STORE   0
        STORE   1
        STORE   4
        STORE   5
        vzeroupper
        ret
