using System.Text;
using Tessera.Backends.OpenCL.Native;
using Tessera.Tensors;

namespace Tessera.Backends.OpenCL;

/// <summary>
/// The backend's OpenCL C program (the embedded Kernels/*.cl, concatenated in a fixed order), built once per device,
/// and its kernel objects. Kernel objects hold their arguments, so a device's kernels are used by one thread at a time.
/// </summary>
internal sealed unsafe class OpenClKernels : IDisposable
{
    /// <summary>Sources in build order: helpers first.</summary>
    private static readonly string[] SourceFiles = ["common.cl", "matrix.cl", "activations.cl", "elementwise.cl", "attention.cl"];

    /// <summary>Widest attention head the kernel's local query copy holds.</summary>
    public const int MaxHeadDim = 512;

    /// <summary>Tokens a matmul work-group shares each decoded weight unit with.</summary>
    public const int MatMulTokens = 8;

    /// <summary>The weight types with a kernel reading their block layout, and the suffix of those kernels' names.</summary>
    public static readonly IReadOnlyDictionary<GgmlType, string> NativeTypes = new Dictionary<GgmlType, string>
    {
        [GgmlType.F32] = "f32",
        [GgmlType.F16] = "f16",
        [GgmlType.Q8_0] = "q8_0",
        [GgmlType.Q4_0] = "q4_0",
        [GgmlType.Q4_K] = "q4_k",
        [GgmlType.Q6_K] = "q6_k",
    };

    private static readonly Lazy<string> Source = new(LoadSource);

    private readonly ClHandle _program;
    private readonly Dictionary<string, ClHandle> _kernels = [];

    private OpenClKernels(ClHandle program, int groupSize)
    {
        _program = program;
        GroupSize = groupSize;
    }

    /// <summary>Work-group size of the reducing kernels (the GROUP the program was built with).</summary>
    public int GroupSize { get; }

    public IntPtr this[string name] => _kernels[name].Value;

    public IntPtr MatVec(GgmlType type) => this["matvec_" + NativeTypes[type]];

    public IntPtr MatMul(GgmlType type) => this["matmul_" + NativeTypes[type]];

    /// <summary>Compiles the program for <paramref name="device"/>; a compiler error is an exception carrying the build log.</summary>
    public static OpenClKernels Build(IntPtr context, IntPtr device, int groupSize)
    {
        byte[] source = Encoding.UTF8.GetBytes(Source.Value);
        int error;
        IntPtr program;
        fixed (byte* text = source)
        {
            byte* strings = text;
            nuint length = (nuint)source.Length;
            program = OpenClNative.clCreateProgramWithSource(context, 1, &strings, &length, &error);
        }
        Check(error, "clCreateProgramWithSource");
        var kernels = new OpenClKernels(new ClHandle(ClObject.Program, program), groupSize);
        try
        {
            string options = $"-cl-std=CL1.2 -DGROUP={groupSize} -DMAX_HEAD_DIM={MaxHeadDim} -DTOKENS={MatMulTokens}";
            byte[] optionBytes = Encoding.ASCII.GetBytes(options + "\0");
            fixed (byte* o = optionBytes)
                error = OpenClNative.clBuildProgram(program, 1, &device, o, IntPtr.Zero, IntPtr.Zero);
            if (error != OpenClNative.Success)
                throw new InvalidOperationException($"building the OpenCL kernels failed with {ClErrors.Name(error)}:\n{BuildLog(program, device)}");
            foreach (var name in KernelNames())
            {
                byte[] nameBytes = Encoding.ASCII.GetBytes(name + "\0");
                IntPtr kernel;
                fixed (byte* n = nameBytes)
                    kernel = OpenClNative.clCreateKernel(program, n, &error);
                Check(error, $"clCreateKernel({name})");
                kernels._kernels[name] = new ClHandle(ClObject.Kernel, kernel);
            }
            return kernels;
        }
        catch
        {
            kernels.Dispose();
            throw;
        }
    }

    private static IEnumerable<string> KernelNames()
    {
        foreach (var suffix in NativeTypes.Values)
        {
            yield return "matvec_" + suffix;
            yield return "matmul_" + suffix;
        }
        string[] others = ["rms_norm", "add_rows", "rope", "swiglu", "add", "softmax", "gather_rows", "scatter_add_rows",
            "kv_store_f32", "kv_store_f16", "attention_f32", "attention_f16", "round_q8_0", "round_q8_k"];
        foreach (var name in others)
            yield return name;
    }

    private static string BuildLog(IntPtr program, IntPtr device)
    {
        nuint size;
        if (OpenClNative.clGetProgramBuildInfo(program, device, OpenClNative.ProgramBuildLog, 0, null, &size) != OpenClNative.Success || size == 0)
            return "(no build log)";
        var log = new byte[(int)size];
        fixed (byte* p = log)
        {
            if (OpenClNative.clGetProgramBuildInfo(program, device, OpenClNative.ProgramBuildLog, size, p, null) != OpenClNative.Success)
                return "(no build log)";
        }
        return Encoding.UTF8.GetString(log).TrimEnd('\0', '\n', ' ');
    }

    private static void Check(int error, string call)
    {
        if (error != OpenClNative.Success)
            throw new InvalidOperationException($"{call} failed with {ClErrors.Name(error)}");
    }

    private static string LoadSource()
    {
        var assembly = typeof(OpenClKernels).Assembly;
        var text = new StringBuilder();
        foreach (var file in SourceFiles)
        {
            using var stream = assembly.GetManifestResourceStream("Tessera.Backends.OpenCL.Kernels." + file)
                ?? throw new InvalidOperationException($"embedded kernel source {file} is missing");
            using var reader = new StreamReader(stream);
            text.Append(reader.ReadToEnd()).Append('\n');
        }
        return text.ToString();
    }

    public void Dispose()
    {
        foreach (var kernel in _kernels.Values)
            kernel.Dispose();
        _kernels.Clear();
        _program.Dispose();
    }
}
