using Tessera.Gguf;
using Tessera.Kernels.Quants;
using Tessera.Tensors;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Kernels.Tests;

/// <summary>Dot products of weight rows from real quantized files (made by another implementation's quantizer)
/// against random activations: our kernel vs the float64 dot of the reference-dequantized row.</summary>
public sealed unsafe class RealModelRowTests(ITestOutputHelper output)
{
    public static TheoryData<string> QuantizedModels()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(SharedData.Models, "syn-llama-*.gguf").Order())
        {
            string name = Path.GetFileName(path);
            if (!name.EndsWith("-F16.gguf", StringComparison.Ordinal))
                data.Add(name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(QuantizedModels))]
    public void Kernel_dot_of_real_rows_matches_float64_of_dequantized_rows(string fileName)
    {
        var random = new TestRandom();
        using var file = GgufFile.Open(SharedData.Model(fileName));
        var checkedTypes = new List<GgmlType>();
        foreach (var group in file.Tensors.Where(t => t.DimensionCount == 2 && t.Type != GgmlType.F32).GroupBy(t => t.Type))
        {
            var tensor = group.First();
            Assert.True(QuantKernels.TryGet(tensor.Type, out var kernel), $"{fileName}: no kernel for {tensor.Type} ({tensor.Name})");
            int k = checked((int)tensor.RowLength);
            long rowBytes = kernel.WeightRowBytes(k);
            var x = random.Floats(k);
            var activation = new byte[kernel.ActivationRowBytes(k)];
            if (kernel.QuantizeActivations == null)
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()).CopyTo(activation);
            else
                Activations.QuantizeRow(kernel.ActivationType, x, activation);
            byte* data = file.GetDataPointer(tensor);
            var dequantized = new float[k];
            foreach (long row in new[] { 0, tensor.RowCount / 2, tensor.RowCount - 1 })
            {
                byte* weights = data + row * rowBytes;
                Quantization.Dequantize(tensor.Type, new ReadOnlySpan<byte>(weights, (int)rowBytes), dequantized);
                double expected = 0, magnitude = 0;
                for (int i = 0; i < k; i++)
                {
                    expected += (double)dequantized[i] * x[i];
                    magnitude += Math.Abs((double)dequantized[i] * x[i]);
                }
                float got;
                fixed (byte* a = activation)
                    got = kernel.Dot(weights, a, k);
                double error = Tolerances.Relative(got, expected, magnitude);
                Assert.True(error <= Tolerances.VsFloatActivations(kernel.ActivationType),
                    $"{fileName} {tensor.Name} ({tensor.Type}) row {row}: {got} vs {expected}, relative error {error:E2} ({random})");
            }
            checkedTypes.Add(tensor.Type);
        }
        Assert.NotEmpty(checkedTypes);
        output.WriteLine($"{fileName}: checked {string.Join(", ", checkedTypes)}");
    }
}
