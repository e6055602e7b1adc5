// Tests and benchmarks call the per-ISA kernel paths directly.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Tessera.Kernels.Tests")]
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Tessera.Benchmarks")]
