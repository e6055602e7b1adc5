using Tessera.Kernels;

namespace Tessera.Devices.Cpu;

/// <summary>Sums over grouped matmul calls of their packing's estimated cost: the work, and the threads' time it was
/// given (the busiest thread's cost times the threads).</summary>
public readonly record struct PackingTotals(long Calls, double Work, double Capacity)
{
    public PackingTotals Add(GroupedMatMul.Packing packing) =>
        new(Calls + 1, Work + packing.TotalCost, Capacity + packing.Makespan * packing.Bins);

    /// <summary>Fraction of the threads' time the packings left idle by their own estimate (0 when nothing ran).</summary>
    public double EstimatedIdle => Capacity <= 0 ? 0 : 1 - Work / Capacity;
}
