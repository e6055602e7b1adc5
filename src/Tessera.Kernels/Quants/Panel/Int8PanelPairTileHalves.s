# The int8 panel's pair tile for the types with a scale per 16-value half (Q2_K, Q3_K, Q6_K): Int8PanelPairTile.s
# with the second half's own bias and scale (record bytes 352 and 384), as Int8PanelKernel.VnniRecord takes them.
# Two groups of 8 repacked rows (PanelRecords) x 8 tokens (PanelActivations) with 512-bit vpdpbusd (AVX512-VNNI).
# Each zmm holds group A's eight rows in its low half and group B's in its high half: the tokens' activations are the
# same for both, so one 32-bit broadcast of four activation bytes feeds sixteen rows, twice the rows of the 256-bit
# AVX-VNNI kernel (Int8PanelKernel.VnniRecord) per instruction. .NET 10 exposes no 512-bit VNNI intrinsics, so this
# loop is machine code; Int8PanelPairTile.cs holds the bytes (HalvesCode). Regenerate them after any change with:
#   as Int8PanelPairTileHalves.s -o code.o && objcopy -O binary -j .text code.o code.bin && xxd -i code.bin
# (the kernel tests assemble this file and compare, where binutils is installed).
#
# System V x86-64: void tile(byte* recordsA, byte* recordsB, nint subBlocks, byte* activations, nint stride, float* acc)
#   rdi, rsi  the two groups' records, 448 bytes each (levels [0, 256), first half's bias [256, 288) and scale
#             [288, 320), second half's bias [352, 384) and scale [384, 416))
#   rdx       records (sub-blocks of 32 values), at least 1
#   rcx       token 0's activations: 32 bytes of q + 128 per record, then a float scale per record at 32 subBlocks
#   r8        bytes from one token's activations to the next
#   r9        acc: [8 tokens][8 rows] floats of group A, then the same of group B
# Per record and token: four chains of two vpdpbusd (values 0-7, 8-15, 16-23, 24-31), each half's two summed in
# int32 from minus its bias, to float, times its row scale x token scale, added to the token's accumulator (zmm16 + t),
# first half first. The results equal the 256-bit kernel's bit for bit.

        .intel_syntax noprefix
        .text
        .globl int8_panel_pair_tile_halves
int8_panel_pair_tile_halves:
        push    rbx
        lea     rax, [r8 + r8*2]                # 3 strides
        mov     r10, rdx
        shl     r10, 5
        add     r10, rcx                        # token 0's scales
        lea     r11, [rcx + r8*4]               # token 4's values
        lea     rbx, [r10 + r8*4]               # token 4's scales
        vpxord  zmm31, zmm31, zmm31
        vpxord  zmm16, zmm16, zmm16
        vpxord  zmm17, zmm17, zmm17
        vpxord  zmm18, zmm18, zmm18
        vpxord  zmm19, zmm19, zmm19
        vpxord  zmm20, zmm20, zmm20
        vpxord  zmm21, zmm21, zmm21
        vpxord  zmm22, zmm22, zmm22
        vpxord  zmm23, zmm23, zmm23
1:
        vmovdqu32 ymm0, [rdi + 0]
        vinserti32x8 zmm0, zmm0, [rsi + 0], 1   # levels 0..3, sixteen rows
        vmovdqu32 ymm1, [rdi + 32]
        vinserti32x8 zmm1, zmm1, [rsi + 32], 1   # levels 4..7, sixteen rows
        vmovdqu32 ymm2, [rdi + 64]
        vinserti32x8 zmm2, zmm2, [rsi + 64], 1   # levels 8..11, sixteen rows
        vmovdqu32 ymm3, [rdi + 96]
        vinserti32x8 zmm3, zmm3, [rsi + 96], 1   # levels 12..15, sixteen rows
        vmovdqu32 ymm4, [rdi + 128]
        vinserti32x8 zmm4, zmm4, [rsi + 128], 1   # levels 16..19, sixteen rows
        vmovdqu32 ymm5, [rdi + 160]
        vinserti32x8 zmm5, zmm5, [rsi + 160], 1   # levels 20..23, sixteen rows
        vmovdqu32 ymm6, [rdi + 192]
        vinserti32x8 zmm6, zmm6, [rsi + 192], 1   # levels 24..27, sixteen rows
        vmovdqu32 ymm7, [rdi + 224]
        vinserti32x8 zmm7, zmm7, [rsi + 224], 1   # levels 28..31, sixteen rows
        vmovdqu32 ymm8, [rdi + 256]
        vinserti32x8 zmm8, zmm8, [rsi + 256], 1
        vpsubd  zmm8, zmm31, zmm8                   # -bias
        vmovups ymm9, [rdi + 288]
        vinsertf32x8 zmm9, zmm9, [rsi + 288], 1     # row scales
        vmovdqu32 ymm24, [rdi + 352]
        vinserti32x8 zmm24, zmm24, [rsi + 352], 1
        vpsubd  zmm24, zmm31, zmm24                 # -second half's bias
        vmovups ymm25, [rdi + 384]
        vinsertf32x8 zmm25, zmm25, [rsi + 384], 1   # second half's row scales
        # token 0
        vmovdqa32 zmm10, zmm8
        vmovdqa32 zmm11, zmm24
        vpxord  zmm26, zmm26, zmm26
        vpxord  zmm27, zmm27, zmm27
        vpbroadcastd zmm12, dword ptr [rcx + 0]
        vpdpbusd zmm10, zmm12, zmm0
        vpbroadcastd zmm14, dword ptr [rcx + 16]
        vpdpbusd zmm11, zmm14, zmm4
        vpbroadcastd zmm13, dword ptr [rcx + 4]
        vpdpbusd zmm10, zmm13, zmm1
        vpbroadcastd zmm15, dword ptr [rcx + 20]
        vpdpbusd zmm11, zmm15, zmm5
        vpbroadcastd zmm12, dword ptr [rcx + 8]
        vpdpbusd zmm26, zmm12, zmm2
        vpbroadcastd zmm14, dword ptr [rcx + 24]
        vpdpbusd zmm27, zmm14, zmm6
        vpbroadcastd zmm13, dword ptr [rcx + 12]
        vpdpbusd zmm26, zmm13, zmm3
        vpbroadcastd zmm15, dword ptr [rcx + 28]
        vpdpbusd zmm27, zmm15, zmm7
        vpaddd  zmm10, zmm10, zmm26
        vpaddd  zmm11, zmm11, zmm27
        vcvtdq2ps zmm10, zmm10
        vcvtdq2ps zmm11, zmm11
        vmulps  zmm12, zmm9, dword ptr [r10]{1to16}
        vfmadd231ps zmm16, zmm10, zmm12
        vmulps  zmm13, zmm25, dword ptr [r10]{1to16}
        vfmadd231ps zmm16, zmm11, zmm13
        # token 1
        vmovdqa32 zmm10, zmm8
        vmovdqa32 zmm11, zmm24
        vpxord  zmm26, zmm26, zmm26
        vpxord  zmm27, zmm27, zmm27
        vpbroadcastd zmm12, dword ptr [rcx + r8 + 0]
        vpdpbusd zmm10, zmm12, zmm0
        vpbroadcastd zmm14, dword ptr [rcx + r8 + 16]
        vpdpbusd zmm11, zmm14, zmm4
        vpbroadcastd zmm13, dword ptr [rcx + r8 + 4]
        vpdpbusd zmm10, zmm13, zmm1
        vpbroadcastd zmm15, dword ptr [rcx + r8 + 20]
        vpdpbusd zmm11, zmm15, zmm5
        vpbroadcastd zmm12, dword ptr [rcx + r8 + 8]
        vpdpbusd zmm26, zmm12, zmm2
        vpbroadcastd zmm14, dword ptr [rcx + r8 + 24]
        vpdpbusd zmm27, zmm14, zmm6
        vpbroadcastd zmm13, dword ptr [rcx + r8 + 12]
        vpdpbusd zmm26, zmm13, zmm3
        vpbroadcastd zmm15, dword ptr [rcx + r8 + 28]
        vpdpbusd zmm27, zmm15, zmm7
        vpaddd  zmm10, zmm10, zmm26
        vpaddd  zmm11, zmm11, zmm27
        vcvtdq2ps zmm10, zmm10
        vcvtdq2ps zmm11, zmm11
        vmulps  zmm12, zmm9, dword ptr [r10 + r8]{1to16}
        vfmadd231ps zmm17, zmm10, zmm12
        vmulps  zmm13, zmm25, dword ptr [r10 + r8]{1to16}
        vfmadd231ps zmm17, zmm11, zmm13
        # token 2
        vmovdqa32 zmm10, zmm8
        vmovdqa32 zmm11, zmm24
        vpxord  zmm26, zmm26, zmm26
        vpxord  zmm27, zmm27, zmm27
        vpbroadcastd zmm12, dword ptr [rcx + r8*2 + 0]
        vpdpbusd zmm10, zmm12, zmm0
        vpbroadcastd zmm14, dword ptr [rcx + r8*2 + 16]
        vpdpbusd zmm11, zmm14, zmm4
        vpbroadcastd zmm13, dword ptr [rcx + r8*2 + 4]
        vpdpbusd zmm10, zmm13, zmm1
        vpbroadcastd zmm15, dword ptr [rcx + r8*2 + 20]
        vpdpbusd zmm11, zmm15, zmm5
        vpbroadcastd zmm12, dword ptr [rcx + r8*2 + 8]
        vpdpbusd zmm26, zmm12, zmm2
        vpbroadcastd zmm14, dword ptr [rcx + r8*2 + 24]
        vpdpbusd zmm27, zmm14, zmm6
        vpbroadcastd zmm13, dword ptr [rcx + r8*2 + 12]
        vpdpbusd zmm26, zmm13, zmm3
        vpbroadcastd zmm15, dword ptr [rcx + r8*2 + 28]
        vpdpbusd zmm27, zmm15, zmm7
        vpaddd  zmm10, zmm10, zmm26
        vpaddd  zmm11, zmm11, zmm27
        vcvtdq2ps zmm10, zmm10
        vcvtdq2ps zmm11, zmm11
        vmulps  zmm12, zmm9, dword ptr [r10 + r8*2]{1to16}
        vfmadd231ps zmm18, zmm10, zmm12
        vmulps  zmm13, zmm25, dword ptr [r10 + r8*2]{1to16}
        vfmadd231ps zmm18, zmm11, zmm13
        # token 3
        vmovdqa32 zmm10, zmm8
        vmovdqa32 zmm11, zmm24
        vpxord  zmm26, zmm26, zmm26
        vpxord  zmm27, zmm27, zmm27
        vpbroadcastd zmm12, dword ptr [rcx + rax + 0]
        vpdpbusd zmm10, zmm12, zmm0
        vpbroadcastd zmm14, dword ptr [rcx + rax + 16]
        vpdpbusd zmm11, zmm14, zmm4
        vpbroadcastd zmm13, dword ptr [rcx + rax + 4]
        vpdpbusd zmm10, zmm13, zmm1
        vpbroadcastd zmm15, dword ptr [rcx + rax + 20]
        vpdpbusd zmm11, zmm15, zmm5
        vpbroadcastd zmm12, dword ptr [rcx + rax + 8]
        vpdpbusd zmm26, zmm12, zmm2
        vpbroadcastd zmm14, dword ptr [rcx + rax + 24]
        vpdpbusd zmm27, zmm14, zmm6
        vpbroadcastd zmm13, dword ptr [rcx + rax + 12]
        vpdpbusd zmm26, zmm13, zmm3
        vpbroadcastd zmm15, dword ptr [rcx + rax + 28]
        vpdpbusd zmm27, zmm15, zmm7
        vpaddd  zmm10, zmm10, zmm26
        vpaddd  zmm11, zmm11, zmm27
        vcvtdq2ps zmm10, zmm10
        vcvtdq2ps zmm11, zmm11
        vmulps  zmm12, zmm9, dword ptr [r10 + rax]{1to16}
        vfmadd231ps zmm19, zmm10, zmm12
        vmulps  zmm13, zmm25, dword ptr [r10 + rax]{1to16}
        vfmadd231ps zmm19, zmm11, zmm13
        # token 4
        vmovdqa32 zmm10, zmm8
        vmovdqa32 zmm11, zmm24
        vpxord  zmm26, zmm26, zmm26
        vpxord  zmm27, zmm27, zmm27
        vpbroadcastd zmm12, dword ptr [r11 + 0]
        vpdpbusd zmm10, zmm12, zmm0
        vpbroadcastd zmm14, dword ptr [r11 + 16]
        vpdpbusd zmm11, zmm14, zmm4
        vpbroadcastd zmm13, dword ptr [r11 + 4]
        vpdpbusd zmm10, zmm13, zmm1
        vpbroadcastd zmm15, dword ptr [r11 + 20]
        vpdpbusd zmm11, zmm15, zmm5
        vpbroadcastd zmm12, dword ptr [r11 + 8]
        vpdpbusd zmm26, zmm12, zmm2
        vpbroadcastd zmm14, dword ptr [r11 + 24]
        vpdpbusd zmm27, zmm14, zmm6
        vpbroadcastd zmm13, dword ptr [r11 + 12]
        vpdpbusd zmm26, zmm13, zmm3
        vpbroadcastd zmm15, dword ptr [r11 + 28]
        vpdpbusd zmm27, zmm15, zmm7
        vpaddd  zmm10, zmm10, zmm26
        vpaddd  zmm11, zmm11, zmm27
        vcvtdq2ps zmm10, zmm10
        vcvtdq2ps zmm11, zmm11
        vmulps  zmm12, zmm9, dword ptr [rbx]{1to16}
        vfmadd231ps zmm20, zmm10, zmm12
        vmulps  zmm13, zmm25, dword ptr [rbx]{1to16}
        vfmadd231ps zmm20, zmm11, zmm13
        # token 5
        vmovdqa32 zmm10, zmm8
        vmovdqa32 zmm11, zmm24
        vpxord  zmm26, zmm26, zmm26
        vpxord  zmm27, zmm27, zmm27
        vpbroadcastd zmm12, dword ptr [r11 + r8 + 0]
        vpdpbusd zmm10, zmm12, zmm0
        vpbroadcastd zmm14, dword ptr [r11 + r8 + 16]
        vpdpbusd zmm11, zmm14, zmm4
        vpbroadcastd zmm13, dword ptr [r11 + r8 + 4]
        vpdpbusd zmm10, zmm13, zmm1
        vpbroadcastd zmm15, dword ptr [r11 + r8 + 20]
        vpdpbusd zmm11, zmm15, zmm5
        vpbroadcastd zmm12, dword ptr [r11 + r8 + 8]
        vpdpbusd zmm26, zmm12, zmm2
        vpbroadcastd zmm14, dword ptr [r11 + r8 + 24]
        vpdpbusd zmm27, zmm14, zmm6
        vpbroadcastd zmm13, dword ptr [r11 + r8 + 12]
        vpdpbusd zmm26, zmm13, zmm3
        vpbroadcastd zmm15, dword ptr [r11 + r8 + 28]
        vpdpbusd zmm27, zmm15, zmm7
        vpaddd  zmm10, zmm10, zmm26
        vpaddd  zmm11, zmm11, zmm27
        vcvtdq2ps zmm10, zmm10
        vcvtdq2ps zmm11, zmm11
        vmulps  zmm12, zmm9, dword ptr [rbx + r8]{1to16}
        vfmadd231ps zmm21, zmm10, zmm12
        vmulps  zmm13, zmm25, dword ptr [rbx + r8]{1to16}
        vfmadd231ps zmm21, zmm11, zmm13
        # token 6
        vmovdqa32 zmm10, zmm8
        vmovdqa32 zmm11, zmm24
        vpxord  zmm26, zmm26, zmm26
        vpxord  zmm27, zmm27, zmm27
        vpbroadcastd zmm12, dword ptr [r11 + r8*2 + 0]
        vpdpbusd zmm10, zmm12, zmm0
        vpbroadcastd zmm14, dword ptr [r11 + r8*2 + 16]
        vpdpbusd zmm11, zmm14, zmm4
        vpbroadcastd zmm13, dword ptr [r11 + r8*2 + 4]
        vpdpbusd zmm10, zmm13, zmm1
        vpbroadcastd zmm15, dword ptr [r11 + r8*2 + 20]
        vpdpbusd zmm11, zmm15, zmm5
        vpbroadcastd zmm12, dword ptr [r11 + r8*2 + 8]
        vpdpbusd zmm26, zmm12, zmm2
        vpbroadcastd zmm14, dword ptr [r11 + r8*2 + 24]
        vpdpbusd zmm27, zmm14, zmm6
        vpbroadcastd zmm13, dword ptr [r11 + r8*2 + 12]
        vpdpbusd zmm26, zmm13, zmm3
        vpbroadcastd zmm15, dword ptr [r11 + r8*2 + 28]
        vpdpbusd zmm27, zmm15, zmm7
        vpaddd  zmm10, zmm10, zmm26
        vpaddd  zmm11, zmm11, zmm27
        vcvtdq2ps zmm10, zmm10
        vcvtdq2ps zmm11, zmm11
        vmulps  zmm12, zmm9, dword ptr [rbx + r8*2]{1to16}
        vfmadd231ps zmm22, zmm10, zmm12
        vmulps  zmm13, zmm25, dword ptr [rbx + r8*2]{1to16}
        vfmadd231ps zmm22, zmm11, zmm13
        # token 7
        vmovdqa32 zmm10, zmm8
        vmovdqa32 zmm11, zmm24
        vpxord  zmm26, zmm26, zmm26
        vpxord  zmm27, zmm27, zmm27
        vpbroadcastd zmm12, dword ptr [r11 + rax + 0]
        vpdpbusd zmm10, zmm12, zmm0
        vpbroadcastd zmm14, dword ptr [r11 + rax + 16]
        vpdpbusd zmm11, zmm14, zmm4
        vpbroadcastd zmm13, dword ptr [r11 + rax + 4]
        vpdpbusd zmm10, zmm13, zmm1
        vpbroadcastd zmm15, dword ptr [r11 + rax + 20]
        vpdpbusd zmm11, zmm15, zmm5
        vpbroadcastd zmm12, dword ptr [r11 + rax + 8]
        vpdpbusd zmm26, zmm12, zmm2
        vpbroadcastd zmm14, dword ptr [r11 + rax + 24]
        vpdpbusd zmm27, zmm14, zmm6
        vpbroadcastd zmm13, dword ptr [r11 + rax + 12]
        vpdpbusd zmm26, zmm13, zmm3
        vpbroadcastd zmm15, dword ptr [r11 + rax + 28]
        vpdpbusd zmm27, zmm15, zmm7
        vpaddd  zmm10, zmm10, zmm26
        vpaddd  zmm11, zmm11, zmm27
        vcvtdq2ps zmm10, zmm10
        vcvtdq2ps zmm11, zmm11
        vmulps  zmm12, zmm9, dword ptr [rbx + rax]{1to16}
        vfmadd231ps zmm23, zmm10, zmm12
        vmulps  zmm13, zmm25, dword ptr [rbx + rax]{1to16}
        vfmadd231ps zmm23, zmm11, zmm13
        add     rdi, 448
        add     rsi, 448
        add     rcx, 32
        add     r11, 32
        add     r10, 4
        add     rbx, 4
        dec     rdx
        jnz     1b
        vmovups [r9 + 0], ymm16
        vextractf32x8 [r9 + 256], zmm16, 1
        vmovups [r9 + 32], ymm17
        vextractf32x8 [r9 + 288], zmm17, 1
        vmovups [r9 + 64], ymm18
        vextractf32x8 [r9 + 320], zmm18, 1
        vmovups [r9 + 96], ymm19
        vextractf32x8 [r9 + 352], zmm19, 1
        vmovups [r9 + 128], ymm20
        vextractf32x8 [r9 + 384], zmm20, 1
        vmovups [r9 + 160], ymm21
        vextractf32x8 [r9 + 416], zmm21, 1
        vmovups [r9 + 192], ymm22
        vextractf32x8 [r9 + 448], zmm22, 1
        vmovups [r9 + 224], ymm23
        vextractf32x8 [r9 + 480], zmm23, 1
        pop     rbx
        vzeroupper
        ret
