namespace Tessera.Kernels;
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Tessera.Kernels.Tests")]
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Tessera.Benchmarks")]
