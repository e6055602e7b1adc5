# The F16 row-panel tile (F16cRowPanelTile.cs): 16 F16 weight rows x 6 tokens for prompt matmuls on CPUs without
# AVX-512. .NET 10 exposes no F16C intrinsics; F16cRowPanelTile.cs holds the bytes. Regenerate them after any change
# with:
#   as F16cRowPanelTile.s -o tile.o && objdump -d -M intel --insn-width=16 tile.o
# (the kernel tests assemble this file and compare, where binutils is installed).
#
# f16c_row_panel_tile: void tile(ushort* panel, float* x, nint xStride, nint k, float* c, nint cStride), System V
#   rdi  the row panel: per value of k, the 16 rows' halves (32 bytes)
#   rsi  token 0's activations (floats); token t's at rsi + t * rdx
#   rdx  bytes from one token's activations to the next's
#   rcx  values of k, at least 1
#   r8   token 0's 16 results; token t's at r8 + t * r9
#   r9   bytes from one token's results to the next's
# ymm0..11 accumulate: token t's rows 0-7 in ymm(2t), rows 8-15 in ymm(2t+1). ymm12/13 hold the 16 weights of one
# value of k as floats (vcvtph2ps is exact), ymm14/15 take turns holding a token's broadcast activation so that one
# broadcast can load while the last one's FMAs run. Each sum is an FMA chain over k in order.

        .intel_syntax noprefix
        .text
        .globl f16c_row_panel_tile
f16c_row_panel_tile:
.irp z, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
        vxorps  ymm\z, ymm\z, ymm\z
.endr
        lea     r10, [rdx + rdx * 2]
        add     r10, rsi                        # token 3; tokens 4 and 5 at r10 + rdx, r10 + 2 * rdx
1:
        vcvtph2ps ymm12, xmmword ptr [rdi]
        vcvtph2ps ymm13, xmmword ptr [rdi + 16]
        vbroadcastss ymm14, dword ptr [rsi]
        vfmadd231ps ymm0, ymm12, ymm14
        vfmadd231ps ymm1, ymm13, ymm14
        vbroadcastss ymm15, dword ptr [rsi + rdx]
        vfmadd231ps ymm2, ymm12, ymm15
        vfmadd231ps ymm3, ymm13, ymm15
        vbroadcastss ymm14, dword ptr [rsi + rdx * 2]
        vfmadd231ps ymm4, ymm12, ymm14
        vfmadd231ps ymm5, ymm13, ymm14
        vbroadcastss ymm15, dword ptr [r10]
        vfmadd231ps ymm6, ymm12, ymm15
        vfmadd231ps ymm7, ymm13, ymm15
        vbroadcastss ymm14, dword ptr [r10 + rdx]
        vfmadd231ps ymm8, ymm12, ymm14
        vfmadd231ps ymm9, ymm13, ymm14
        vbroadcastss ymm15, dword ptr [r10 + rdx * 2]
        vfmadd231ps ymm10, ymm12, ymm15
        vfmadd231ps ymm11, ymm13, ymm15
        add     rdi, 32
        add     rsi, 4
        add     r10, 4
        dec     rcx
        jnz     1b
        vmovups [r8], ymm0
        vmovups [r8 + 32], ymm1
        add     r8, r9
        vmovups [r8], ymm2
        vmovups [r8 + 32], ymm3
        add     r8, r9
        vmovups [r8], ymm4
        vmovups [r8 + 32], ymm5
        add     r8, r9
        vmovups [r8], ymm6
        vmovups [r8 + 32], ymm7
        add     r8, r9
        vmovups [r8], ymm8
        vmovups [r8 + 32], ymm9
        add     r8, r9
        vmovups [r8], ymm10
        vmovups [r8 + 32], ymm11
        vzeroupper
        ret
