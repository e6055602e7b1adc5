using Tessera.Kernels.Memory;

namespace Tessera.Kernels.Tests;

/// <summary>The check every machine-code kernel makes before it calls its code (<see cref="ExecutableMemory.ThrowIfNotPlaced"/>).</summary>
public sealed unsafe class ExecutableMemoryTests
{
    [Fact]
    public void Code_that_was_not_placed_throws_naming_the_instruction()
    {
        var error = Assert.Throws<PlatformNotSupportedException>(() => ExecutableMemory.ThrowIfNotPlaced(null, "vcvtph2ps"));
        Assert.Equal("vcvtph2ps does not run here (IsSupported is false)", error.Message);
    }

    [Fact]
    public void Placed_code_passes_the_check()
    {
        byte ret = 0xc3;
        ExecutableMemory.ThrowIfNotPlaced(&ret, "vcvtph2ps");
    }
}
