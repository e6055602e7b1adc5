using Tessera.Gguf;
using Tessera.Tensors;

namespace Tessera.Models.Loading;

/// <summary>
/// The tensor manifest check: fetches tensors by name with the shape the hyperparameters imply, failing with a
/// <see cref="ModelException"/> that names the tensor when one is missing, has another shape, or has a type the
/// kernels cannot read. Matrices stay in mapped memory; small vectors (norms, biases) are copied to F32.
/// </summary>
public sealed unsafe class ModelTensors(GgufFile file)
{

    public GgufFile File { get; } = file;

    /// <summary>A matrix with GGUF dimensions [columns, rows] (row length first).</summary>
    public WeightMatrix Matrix(string name, int columns, long rows) => MatrixOrNull(name, columns, rows) ?? throw Missing(name);

    public WeightMatrix? MatrixOrNull(string name, int columns, long rows)
    {
        var tensor = File.FindTensor(name);
        if (tensor is null)
            return null;
        CheckShape(tensor, columns, rows);
        return Open(tensor, columns, rows);
    }

    /// <summary>A stack of <paramref name="experts"/> matrices, GGUF dimensions [columns, rows, experts].</summary>
    public WeightMatrix Experts(string name, int columns, long rows, int experts)
    {
        var tensor = File.FindTensor(name) ?? throw Missing(name);
        CheckShape(tensor, columns, rows, experts);
        return Open(tensor, columns, rows * experts);
    }

    /// <summary>A vector of <paramref name="length"/> elements, converted to F32.</summary>
    public float[] Vector(string name, int length) => VectorOrNull(name, length) ?? throw Missing(name);

    public float[]? VectorOrNull(string name, int length)
    {
        var tensor = File.FindTensor(name);
        if (tensor is null)
            return null;
        CheckShape(tensor, length);
        if (!Quantization.CanDequantize(tensor.Type))
            throw new ModelException($"tensor {name} has type {tensor.Type}, which cannot be read");
        var values = new float[length];
        Quantization.Dequantize(tensor.Type, File.GetData(tensor), values);
        return values;
    }

    private WeightMatrix Open(GgufTensorInfo tensor, int columns, long rows)
    {
        if (!Kernels.MatVec.Supports(tensor.Type))
            throw new ModelException($"tensor {tensor.Name} has type {tensor.Type}, which has no CPU matrix kernel");
        if (columns % GgmlTypeTraits.Of(tensor.Type).BlockSize != 0)
            throw new ModelException($"tensor {tensor.Name}: row length {columns} is not a multiple of the {tensor.Type} block size");
        return new WeightMatrix(tensor.Name, tensor.Type, File.GetDataPointer(tensor), rows, columns);
    }

    private static void CheckShape(GgufTensorInfo tensor, params long[] expected)
    {
        var actual = tensor.Dimensions;
        bool matches = actual.Length <= expected.Length
            ? expected.Select((d, i) => i < actual.Length ? actual[i] == d : d == 1).All(x => x)
            : actual.Skip(expected.Length).All(d => d == 1) && expected.Select((d, i) => actual[i] == d).All(x => x);
        if (!matches)
            throw new ModelException($"tensor {tensor.Name} has shape [{string.Join(", ", actual)}], expected [{string.Join(", ", expected)}] from the hyperparameters");
    }

    private static ModelException Missing(string name) => new($"required tensor {name} is missing");
}
