# The BF16 pair tile (BF16PairTile.cs): 8 BF16 weight rows x 32 tokens with vdpbf16ps (AVX512-BF16).
# .NET 10 exposes no AVX512-BF16 intrinsics, so this one loop is kept as machine code. BF16PairTile.cs holds the
# bytes; regenerate them after any change with:
#   as BF16PairTile.s -o tile.o && objcopy -O binary -j .text tile.o tile.bin && xxd -i tile.bin
# (the kernel tests assemble this file and compare, where binutils is installed).
#
# System V x86-64: void tile(ushort* w, nint rowBytes, uint* panel, nint pairs, float* c)
#   rdi  row 0 of the weights; rows 1..7 follow at rowBytes (rsi) apart
#   rdx  the token panel: per pair of k, 32 tokens' (x[2i], x[2i + 1]) as BF16 pairs, 128 bytes
#   rcx  pairs of k, at least 1
#   r8   c[8][32]: c[r * 32 + t] = sum over i of w[r][i] x[t][i]
# zmm16..31 accumulate row r's tokens 0..15 and 16..31 (zmm16 + 2r, zmm17 + 2r); zmm0/zmm1 hold a pair's panel;
# each row's pair of weights is a 32-bit broadcast straight from the row.

        .intel_syntax noprefix
        .text

# One row's pair of weights (at [\address]) against both halves of the panel: tokens 0..15 into zmm\low, 16..31
# into zmm\high.
.macro ROW low, high, address
        vdpbf16ps zmm\low, zmm0, dword ptr [\address]{1to16}
        vdpbf16ps zmm\high, zmm1, dword ptr [\address]{1to16}
.endm

        .globl bf16_pair_tile
bf16_pair_tile:
        lea     rax, [rsi + rsi*2]          # 3 rowBytes
        lea     r10, [rdi + rsi*4]          # row 4
.irp z, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
        vpxord  zmm\z, zmm\z, zmm\z
.endr
1:
        vmovups zmm0, [rdx]                 # tokens 0..15
        vmovups zmm1, [rdx + 64]            # tokens 16..31
        ROW     16, 17, "rdi"
        ROW     18, 19, "rdi + rsi"
        ROW     20, 21, "rdi + rsi*2"
        ROW     22, 23, "rdi + rax"
        ROW     24, 25, "r10"
        ROW     26, 27, "r10 + rsi"
        ROW     28, 29, "r10 + rsi*2"
        ROW     30, 31, "r10 + rax"
        add     rdi, 4
        add     r10, 4
        sub     rdx, -128                   # next pair's panel (imm8)
        dec     rcx
        jnz     1b
.irp z, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
        vmovups [r8 + 64*(\z - 16)], zmm\z
.endr
        vzeroupper
        ret
