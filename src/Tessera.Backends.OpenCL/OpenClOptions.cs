namespace Tessera.Backends.OpenCL;

/// <summary>
/// Tuning of the OpenCL devices. <see cref="PageBytes"/>: size of the cl_mem pages the memory pool sub-allocates from
/// (larger allocations get a page of their own; clamped to the device's largest allocation). <see cref="Alignment"/>:
/// byte alignment of every sub-allocation (a power of two; 256 suits every vendor's base-address alignment).
/// </summary>
public sealed record OpenClOptions(long PageBytes = 64L << 20, int Alignment = 256)
{
    public static OpenClOptions Default { get; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PageBytes);
        if (Alignment < 4 || (Alignment & (Alignment - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(Alignment), Alignment, "alignment must be a power of two of at least 4 bytes");
        if (PageBytes % Alignment != 0)
            throw new ArgumentException($"page size {PageBytes} is not a multiple of the alignment {Alignment}", nameof(PageBytes));
    }
}
