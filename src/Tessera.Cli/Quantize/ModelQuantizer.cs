using Tessera.Gguf;
using Tessera.Tensors;

namespace Tessera.Cli.Quantize;

/// <summary>One tensor of an output model: its name, shape (ggml order) and the type it will be stored in.</summary>
public sealed record TensorPlan(string Name, long[] Dimensions, GgmlType Target)
{
    public long RowCount => Dimensions.Skip(1).Aggregate(1L, (a, b) => checked(a * b));
}

/// <summary>
/// Rewrites a float (F32/F16/BF16) GGUF model with quantized weights: same tensors in the same order, same metadata
/// plus `general.file_type` and `general.quantization_version`. The output is written to a temporary file and moved
/// into place at the end, so a failure leaves nothing half-written.
/// </summary>
public static class ModelQuantizer
{
    /// <summary>Block-format revision of the quantized types, recorded in the file as other GGUF readers expect.</summary>
    private const uint QuantizationVersion = 2;

    public static IReadOnlyList<TensorPlan> Plan(GgufFile source, QuantizationPreset preset, bool pure)
    {
        var planner = new TensorTypePlanner(preset, LayerCount(source), source.FindTensor("output.weight") is not null, pure);
        var plans = new List<TensorPlan>(source.Tensors.Count);
        foreach (var tensor in source.Tensors)
        {
            var target = planner.Choose(tensor.Name, tensor.Dimensions);
            if (target != tensor.Type && !IsFloat(tensor.Type))
                throw new CliException($"tensor '{tensor.Name}' is {tensor.Type}; quantize needs F32, F16 or BF16 input");
            plans.Add(new TensorPlan(tensor.Name, tensor.Dimensions, target));
        }
        return plans;
    }

    public static void Run(GgufFile source, string outputPath, QuantizationPreset preset, bool pure, IQuantizeProgress progress)
    {
        var plans = Plan(source, preset, pure);
        var writer = new GgufWriter(checked((uint)source.Alignment));
        foreach (var entry in source.Metadata)
        {
            if (!entry.Key.StartsWith("split.", StringComparison.Ordinal))
                writer.Set(entry);
        }
        writer.Set(GgufKeys.FileType, (uint)preset.FileType);
        if (!preset.IsFloat)
            writer.Set(GgufKeys.QuantizationVersion, QuantizationVersion);

        progress.Start(plans);
        foreach (var plan in plans)
        {
            var tensor = source.GetTensor(plan.Name);
            writer.AddTensor(tensor.Name, plan.Target, tensor.Dimensions, stream =>
            {
                progress.BeginTensor(plan);
                EncodeTensor(source, tensor, plan.Target, stream, rows => progress.Advance(plan, rows));
                progress.EndTensor(plan);
            });
        }

        AtomicFile.Write(outputPath, writer.WriteTo);
        progress.Finish();
    }

    private static unsafe void EncodeTensor(GgufFile source, GgufTensorInfo tensor, GgmlType target, Stream output, Action<long> rowsDone)
    {
        if (tensor.Type == target)
        {
            // Same type: copy the bytes as they are (quantized tensors kept, F32 norms).
            byte* data = source.GetDataPointer(tensor);
            for (long offset = 0; offset < tensor.ByteSize; offset += int.MaxValue / 2)
                output.Write(new ReadOnlySpan<byte>(data + offset, (int)Math.Min(int.MaxValue / 2, tensor.ByteSize - offset)));
            rowsDone(tensor.RowCount);
            return;
        }

        nint basePointer = (nint)source.GetDataPointer(tensor);
        var sourceType = tensor.Type;
        int sourceRowBytes = checked((int)GgmlTypeTraits.Of(sourceType).BytesFor(tensor.RowLength));
        TensorEncoder.Encode(output, target, tensor.RowLength, tensor.RowCount, (row, destination) =>
        {
            var bytes = new ReadOnlySpan<byte>((byte*)basePointer + row * sourceRowBytes, sourceRowBytes);
            Quantization.Dequantize(sourceType, bytes, destination);
        }, rowsDone);
    }

    private static bool IsFloat(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;

    private static int LayerCount(GgufFile source)
    {
        string? arch = source.Metadata.GetStringOrNull(GgufKeys.Architecture);
        long? blocks = arch is null ? null : source.Metadata.GetIntegerOrNull(GgufKeys.ForArch(GgufKeys.BlockCount, arch));
        return (int)Math.Clamp(blocks ?? 0, 0, int.MaxValue);
    }
}
