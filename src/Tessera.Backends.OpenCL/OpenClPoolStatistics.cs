namespace Tessera.Backends.OpenCL;

/// <summary>
/// State of a device's memory pool: bytes of cl_mem pages held, bytes of live allocations (rounded to the alignment),
/// live allocation count, pages, and fragmentation = 1 - (largest free range / all free bytes) over the held pages.
/// </summary>
public readonly record struct OpenClPoolStatistics(long BytesReserved, long BytesLive, int AllocationCount, int PageCount, double Fragmentation);
