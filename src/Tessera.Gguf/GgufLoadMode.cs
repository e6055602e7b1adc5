namespace Tessera.Gguf;

/// <summary>How a GGUF file's bytes are brought into memory.</summary>
public enum GgufLoadMode
{
    /// <summary>Memory-map the file read-only: opening is instant and pages are shared through the page cache.</summary>
    Map,

    /// <summary>
    /// Read the whole file into private memory aligned to 2 MiB, with transparent huge pages advised on Linux. Opening
    /// costs one read of the file (a few hundred ms per GB from the page cache), and decoding streams the weights
    /// 2-7% faster: 2 MiB pages spare the TLB misses and page walks of 4 KiB mapped pages.
    /// </summary>
    Copy,

}
