using BenchmarkDotNet.Running;

// Run all or some benchmarks: dotnet run -c Release --project bench/Tessera.Benchmarks -- --filter '*Quantize*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
