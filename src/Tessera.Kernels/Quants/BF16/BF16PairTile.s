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
        .globl bf16_pair_tile
bf16_pair_tile:
        lea     rax, [rsi + rsi*2]          # 3 rowBytes
        lea     r10, [rdi + rsi*4]          # row 4
        vpxord  zmm16, zmm16, zmm16
        vpxord  zmm17, zmm17, zmm17
        vpxord  zmm18, zmm18, zmm18
        vpxord  zmm19, zmm19, zmm19
        vpxord  zmm20, zmm20, zmm20
        vpxord  zmm21, zmm21, zmm21
        vpxord  zmm22, zmm22, zmm22
        vpxord  zmm23, zmm23, zmm23
        vpxord  zmm24, zmm24, zmm24
        vpxord  zmm25, zmm25, zmm25
        vpxord  zmm26, zmm26, zmm26
        vpxord  zmm27, zmm27, zmm27
        vpxord  zmm28, zmm28, zmm28
        vpxord  zmm29, zmm29, zmm29
        vpxord  zmm30, zmm30, zmm30
        vpxord  zmm31, zmm31, zmm31
1:
        vmovups zmm0, [rdx]                 # tokens 0..15
        vmovups zmm1, [rdx + 64]            # tokens 16..31
        vdpbf16ps zmm16, zmm0, dword ptr [rdi]{1to16}
        vdpbf16ps zmm17, zmm1, dword ptr [rdi]{1to16}
        vdpbf16ps zmm18, zmm0, dword ptr [rdi + rsi]{1to16}
        vdpbf16ps zmm19, zmm1, dword ptr [rdi + rsi]{1to16}
        vdpbf16ps zmm20, zmm0, dword ptr [rdi + rsi*2]{1to16}
        vdpbf16ps zmm21, zmm1, dword ptr [rdi + rsi*2]{1to16}
        vdpbf16ps zmm22, zmm0, dword ptr [rdi + rax]{1to16}
        vdpbf16ps zmm23, zmm1, dword ptr [rdi + rax]{1to16}
        vdpbf16ps zmm24, zmm0, dword ptr [r10]{1to16}
        vdpbf16ps zmm25, zmm1, dword ptr [r10]{1to16}
        vdpbf16ps zmm26, zmm0, dword ptr [r10 + rsi]{1to16}
        vdpbf16ps zmm27, zmm1, dword ptr [r10 + rsi]{1to16}
        vdpbf16ps zmm28, zmm0, dword ptr [r10 + rsi*2]{1to16}
        vdpbf16ps zmm29, zmm1, dword ptr [r10 + rsi*2]{1to16}
        vdpbf16ps zmm30, zmm0, dword ptr [r10 + rax]{1to16}
        vdpbf16ps zmm31, zmm1, dword ptr [r10 + rax]{1to16}
        add     rdi, 4
        add     r10, 4
        sub     rdx, -128                   # next pair's panel (imm8)
        dec     rcx
        jnz     1b
        vmovups [r8 + 0], zmm16
        vmovups [r8 + 64], zmm17
        vmovups [r8 + 128], zmm18
        vmovups [r8 + 192], zmm19
        vmovups [r8 + 256], zmm20
        vmovups [r8 + 320], zmm21
        vmovups [r8 + 384], zmm22
        vmovups [r8 + 448], zmm23
        vmovups [r8 + 512], zmm24
        vmovups [r8 + 576], zmm25
        vmovups [r8 + 640], zmm26
        vmovups [r8 + 704], zmm27
        vmovups [r8 + 768], zmm28
        vmovups [r8 + 832], zmm29
        vmovups [r8 + 896], zmm30
        vmovups [r8 + 960], zmm31
        vzeroupper
        ret
