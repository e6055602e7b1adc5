using Tessera.Kernels;

namespace Tessera.Devices.Cpu;

/// <summary>Sums over grouped matmul calls of their packing's estimated cost: the busiest thread's and the total.</summary>
public readonly record struct PackingTotals(long Calls, double Makespans, double Work, double Capacity)
{
    public PackingTotals Add(GroupedMatMul.Packing packing) =>
        new(Calls + 1, Makespans + packing.Makespan, Work + packing.TotalCost, Capacity + packing.Makespan * packing.Bins);

    /// <summary>Fraction of the threads' time the packings left idle by their own estimate (0 when nothing ran).</summary>
    public double EstimatedIdle => Capacity <= 0 ? 0 : 1 - Work / Capacity;
}
