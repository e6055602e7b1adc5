# The int8 panel's pair tile (Int8PanelPairTile.cs): two groups of 8 repacked rows (PanelRecords) x 8 tokens
# (PanelActivations) with 512-bit vpdpbusd (AVX512-VNNI). Each zmm holds group A's eight rows in its low half and
# group B's in its high half: the tokens' activations are the same for both, so one 32-bit broadcast of four
# activation bytes feeds sixteen rows, twice the rows of the 256-bit AVX-VNNI kernel (Int8PanelKernel.VnniRecord) per
# instruction. .NET 10 exposes no 512-bit VNNI intrinsics, so this loop is machine code; Int8PanelPairTile.cs holds
# the bytes. Regenerate them after any change with:
#   as Int8PanelPairTile.s -o code.o && objcopy -O binary -j .text code.o code.bin && xxd -i code.bin
# and the second entry's offset with `nm code.o` (the kernel tests assemble this file and compare both, where
# binutils is installed).
#
# Two entries, one per record form: int8_panel_pair_tile (one bias and scale per row and record) and, from
# Int8PanelPairTile.HalvesEntry on, int8_panel_pair_tile_halves (Q2_K, Q3_K, Q6_K: a second bias and scale for
# values 16-31, at record bytes 352 and 384).
#
# System V x86-64: void tile(byte* recordsA, byte* recordsB, nint subBlocks, byte* activations, nint stride, float* acc)
#   rdi, rsi  the two groups' records, 448 bytes each (levels [0, 256), bias [256, 288), scale [288, 320))
#   rdx       records (sub-blocks of 32 values), at least 1
#   rcx       token 0's activations: 32 bytes of q + 128 per record, then a float scale per record at 32 subBlocks
#   r8        bytes from one token's activations to the next
#   r9        acc: [8 tokens][8 rows] floats of group A, then the same of group B
# Per record and token: four chains of two vpdpbusd (values 0-7, 8-15, 16-23, 24-31: chains of four waited on the
# instruction's latency), summed in int32 exactly as the 256-bit kernel sums them from minus the bias (per half with
# halves), to float, times row scale x token scale, added to the token's accumulator (zmm16 + t). The results equal
# the 256-bit kernel's bit for bit.

        .intel_syntax noprefix
        .text

# One record's sixteen rows of a 32-byte field at \offset: group A's in the low half of \reg, group B's in the high.
.macro PAIR reg, offset, insert=vinserti32x8, load=vmovdqu32
        \load   ymm\reg, [rdi + \offset]
        \insert zmm\reg, zmm\reg, [rsi + \offset], 1
.endm

# Token \t's products against the record: its values at [\values], its scale at [\scales].
.macro TOKEN t, values, scales, halves
        vmovdqa32 zmm10, zmm8
.if \halves
        vmovdqa32 zmm11, zmm24
.else
        vpxord  zmm11, zmm11, zmm11
.endif
        vpxord  zmm26, zmm26, zmm26
        vpxord  zmm27, zmm27, zmm27
        vpbroadcastd zmm12, dword ptr [\values + 0]
        vpdpbusd zmm10, zmm12, zmm0
        vpbroadcastd zmm14, dword ptr [\values + 16]
        vpdpbusd zmm11, zmm14, zmm4
        vpbroadcastd zmm13, dword ptr [\values + 4]
        vpdpbusd zmm10, zmm13, zmm1
        vpbroadcastd zmm15, dword ptr [\values + 20]
        vpdpbusd zmm11, zmm15, zmm5
        vpbroadcastd zmm12, dword ptr [\values + 8]
        vpdpbusd zmm26, zmm12, zmm2
        vpbroadcastd zmm14, dword ptr [\values + 24]
        vpdpbusd zmm27, zmm14, zmm6
        vpbroadcastd zmm13, dword ptr [\values + 12]
        vpdpbusd zmm26, zmm13, zmm3
        vpbroadcastd zmm15, dword ptr [\values + 28]
        vpdpbusd zmm27, zmm15, zmm7
        vpaddd  zmm10, zmm10, zmm26
        vpaddd  zmm11, zmm11, zmm27
.if \halves
        vcvtdq2ps zmm10, zmm10
        vcvtdq2ps zmm11, zmm11
        vmulps  zmm12, zmm9, dword ptr [\scales]{1to16}
        vfmadd231ps zmm\t, zmm10, zmm12
        vmulps  zmm13, zmm25, dword ptr [\scales]{1to16}
        vfmadd231ps zmm\t, zmm11, zmm13
.else
        vpaddd  zmm10, zmm10, zmm11
        vcvtdq2ps zmm10, zmm10
        vmulps  zmm12, zmm9, dword ptr [\scales]{1to16}
        vfmadd231ps zmm\t, zmm10, zmm12
.endif
.endm

# Token \t's accumulator (zmm\reg) to acc: group A's rows at [t][0..7], group B's at [8 + t][0..7].
.macro STORE t, reg
        vmovups [r9 + 32*\t], ymm\reg
        vextractf32x8 [r9 + 256 + 32*\t], zmm\reg, 1
.endm

.macro PAIR_TILE halves
        push    rbx
        lea     rax, [r8 + r8*2]                # 3 strides
        mov     r10, rdx
        shl     r10, 5
        add     r10, rcx                        # token 0's scales
        lea     r11, [rcx + r8*4]               # token 4's values
        lea     rbx, [r10 + r8*4]               # token 4's scales
        vpxord  zmm31, zmm31, zmm31
.irp t, 16, 17, 18, 19, 20, 21, 22, 23
        vpxord  zmm\t, zmm\t, zmm\t
.endr
1:
.irp c, 0, 1, 2, 3, 4, 5, 6, 7
        PAIR    \c, 32*\c                       # levels 4c..4c+3, sixteen rows
.endr
        PAIR    8, 256
        vpsubd  zmm8, zmm31, zmm8               # -bias
        PAIR    9, 288, vinsertf32x8, vmovups   # row scales
.if \halves
        PAIR    24, 352
        vpsubd  zmm24, zmm31, zmm24             # -second half's bias
        PAIR    25, 384, vinsertf32x8, vmovups  # second half's row scales
.endif
        TOKEN   16, "rcx", "r10", \halves
        TOKEN   17, "rcx + r8", "r10 + r8", \halves
        TOKEN   18, "rcx + r8*2", "r10 + r8*2", \halves
        TOKEN   19, "rcx + rax", "r10 + rax", \halves
        TOKEN   20, "r11", "rbx", \halves
        TOKEN   21, "r11 + r8", "rbx + r8", \halves
        TOKEN   22, "r11 + r8*2", "rbx + r8*2", \halves
        TOKEN   23, "r11 + rax", "rbx + rax", \halves
        add     rdi, 448
        add     rsi, 448
        add     rcx, 32
        add     r11, 32
        add     r10, 4
        add     rbx, 4
        dec     rdx
        jnz     1b
        STORE   0, 16
        STORE   1, 17
        STORE   2, 18
        STORE   3, 19
        STORE   4, 20
        STORE   5, 21
        STORE   6, 22
        STORE   7, 23
        pop     rbx
        vzeroupper
        ret
.endm

        .globl int8_panel_pair_tile
int8_panel_pair_tile:
        PAIR_TILE 0

        .globl int8_panel_pair_tile_halves
int8_panel_pair_tile_halves:
        PAIR_TILE 1
