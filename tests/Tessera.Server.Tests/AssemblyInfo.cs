// Each test class starts real servers whose scheduler threads compete for the CPU; running classes one at a time keeps
// timings sane on small machines.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
