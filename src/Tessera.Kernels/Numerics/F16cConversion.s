# F16 to F32 conversion with F16C's vcvtph2ps (F16cConversion.cs): .NET 10 exposes no F16C intrinsics, and the
# integer arithmetic that replaces them (HalfBits) takes four or five instructions per eight halves where this takes
# one. F16cConversion.cs holds the bytes; regenerate them after any change with:
#   as F16cConversion.s -o code.o && objcopy -O binary -j .text code.o code.bin && xxd -i code.bin
# (the kernel tests assemble this file and compare, where binutils is installed).
#
# System V x86-64: void convert(ushort* source, float* destination, nint blocks)
#   rdi  halves, 32 bytes per block
#   rsi  floats, 64 bytes per block
#   rdx  blocks of 16 values, at least 1
# vcvtph2ps is exact for every half (subnormals, infinities; a signalling NaN comes out quiet).

        .intel_syntax noprefix
        .text
        .globl f16c_half_to_single
f16c_half_to_single:
1:
        vcvtph2ps ymm0, xmmword ptr [rdi]
        vcvtph2ps ymm1, xmmword ptr [rdi + 16]
        vmovups [rsi], ymm0
        vmovups [rsi + 32], ymm1
        add     rdi, 32
        add     rsi, 64
        dec     rdx
        jnz     1b
        vzeroupper
        ret
