namespace Tessera.Tensors.Tests;

/// <summary><see cref="HugePages"/>: 2 MiB-aligned memory, every requested byte usable, wherever huge pages exist or not.</summary>
public sealed unsafe class HugePagesTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3 << 20)]            // not a multiple of a huge page
    [InlineData(4 << 20)]
    public void Memory_is_aligned_to_a_huge_page_and_holds_every_byte(int bytes)
    {
        byte* memory = HugePages.Allocate((nuint)bytes);
        try
        {
            Assert.True(memory != null);
            Assert.Equal(0ul, (ulong)memory % HugePages.Size);
            var span = new Span<byte>(memory, bytes);
            for (int i = 0; i < bytes; i += 4093)
                span[i] = (byte)(i * 7);
            span[^1] = 0xA5;
            for (int i = 0; i < bytes - 1; i += 4093)
                Assert.Equal((byte)(i * 7), span[i]);
            Assert.Equal(0xA5, span[^1]);
        }
        finally
        {
            HugePages.Free(memory);
        }
    }
}
