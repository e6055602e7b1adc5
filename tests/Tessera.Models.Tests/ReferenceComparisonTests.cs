using Tessera.Runtime;
using Tessera.Runtime.Placement;
using Tessera.Tensors;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Models.Tests;

/// <summary>
/// Every shared model against its reference (`M.ref.json`): teacher-forced top-10 logits at each of 48 positions,
/// the greedy prompt's top-10 logits, top-1 agreement where the reference's top-1/top-2 gap exceeds twice the
/// tolerance, and the 32 greedy steps identical up to the first step whose reference gap is within twice the
/// tolerance (where rounding may legitimately flip the choice). Each test loads its model once.
/// </summary>
public sealed class ReferenceComparisonTests(ITestOutputHelper output)
{
    /// <summary>Every model in the shared folder: each has a reference run.</summary>
    public static TheoryData<string> SharedModels => new(Directory.GetFiles(SharedData.Models, "*.gguf").Select(Path.GetFileName).Order()!);

    /// <summary>Same context length as the reference run.</summary>
    private const int ReferenceContext = 512;

    /// <summary>Every model on OpenCL, whole and split both ways (halves of the layers; the head goes with the last half).</summary>
    public static TheoryData<string, string> SharedModelsOnOpenCl
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var file in Directory.GetFiles(SharedData.Models, "*.gguf").Select(Path.GetFileName).Order())
            {
                foreach (var placement in new[] { "opencl", "opencl-first-half", "opencl-last-half" })
                    data.Add(file!, placement);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(SharedModels))]
    public void Matches_reference(string modelFile) => CompareWithReference(modelFile, placement: null);

    /// <summary>Models whose heads are whole Q8_0 blocks (32 or 64 wide), float and quantized. Not syn-mixtral: its
    /// router has a near-tie at one teacher-forced position that any rounding of the cache flips to another expert.</summary>
    public static TheoryData<string> Q8_0KvModels => new("syn-llama-F16.gguf", "syn-llama-Q4_K_M.gguf", "syn-llama-Q8_0.gguf", "syn-qwen2-F16.gguf",
        "syn-qwen3-Q4_0.gguf", "syn-qwen3moe-F16.gguf");

    /// <summary>With keys and values kept as Q8_0 blocks, logits stay within the quantized-weight tolerance of the
    /// reference (computed with exact keys and values): the cache's rounding is of the same order as activation quantization.</summary>
    [Theory]
    [MemberData(nameof(Q8_0KvModels))]
    public void Matches_reference_with_a_Q8_0_kv_cache(string modelFile) =>
        CompareWithReference(modelFile, placement: null, kvCacheType: GgmlType.Q8_0, tolerance: ReferenceTolerance.Quantized);

    [Fact]
    public void A_Q8_0_kv_cache_needs_heads_of_whole_blocks()
    {
        using var model = ModelLoader.Load(SharedData.Model("stories260K.gguf"));   // heads 8 wide
        var error = Assert.Throws<ArgumentException>(() => new InferenceContext(model, new ContextOptions { ContextSize = 64, KvCacheType = GgmlType.Q8_0 }));
        Assert.Contains("multiple of 32", error.Message);
    }

    [OpenClTheory]
    [MemberData(nameof(SharedModelsOnOpenCl))]
    public void Matches_reference_on_opencl(string modelFile, string placement)
    {
        using var model = ModelLoader.Load(SharedData.Model(modelFile));
        int half = model.Hyperparameters.LayerCount / 2;
        var options = placement switch
        {
            "opencl" => new PlacementOptions { Device = "opencl" },
            // The last layers (and the head) on OpenCL, the first on the CPU.
            "opencl-last-half" => new PlacementOptions { Device = "opencl", GpuLayers = model.Hyperparameters.LayerCount - half },
            // The first layers on OpenCL, the rest and the head on the CPU.
            _ => new PlacementOptions { Device = "cpu", Overrides = TensorOverride.Parse($@"^blk\.({string.Join('|', Enumerable.Range(0, Math.Max(1, half)))})\.=opencl") },
        };
        CompareWithReference(modelFile, options, model);
    }

    private void CompareWithReference(string modelFile, PlacementOptions? placement, TransformerModel? loaded = null,
        GgmlType kvCacheType = GgmlType.F32, ReferenceTolerance? tolerance = null)
    {
        var reference = ModelReference.Load(modelFile);
        using var owned = loaded is null ? ModelLoader.Load(SharedData.Model(modelFile)) : null;
        var model = loaded ?? owned!;
        using var context = new InferenceContext(model, new ContextOptions { ContextSize = ReferenceContext, KvCacheType = kvCacheType, Threads = 2, Placement = placement });
        if (placement is not null)
        {
            output.WriteLine(context.Plan.Describe());
            Assert.Contains(context.Plan.Devices, d => d.Name == "opencl");
        }
        Assert.Equal(reference.VocabularySize, model.VocabularySize);
        tolerance ??= ReferenceTolerance.For(model);
        double std = reference.LogitStd;
        int vocab = model.VocabularySize;

        var teacherLogits = new float[reference.TeacherIds.Length * vocab];
        using (var session = context.CreateSession())
            session.Append(reference.TeacherIds, teacherLogits);
        var teacherErrors = CompareTop(reference.TeacherTop, i => teacherLogits.AsSpan(i * vocab, vocab), std, tolerance, "teacher-forced");

        using var greedy = context.CreateSession();
        var promptLogits = new float[reference.PromptIds.Length * vocab];
        greedy.Append(reference.PromptIds, promptLogits);
        CompareTop(reference.PromptTop, i => promptLogits.AsSpan(i * vocab, vocab), std, tolerance, "prompt");

        int matched = 0;
        int comparable = reference.GeneratedIds.Length;
        for (int step = 0; step < reference.GeneratedIds.Length; step++)
        {
            var top = reference.StepTop[step];
            if (top[0].Logit - top[1].Logit <= 2 * tolerance.Typical * std)
            {
                comparable = step;
                break;
            }
            int chosen = ArgMax(greedy.Logits);
            Assert.True(chosen == reference.GeneratedIds[step], $"greedy step {step}: chose {chosen}, reference {reference.GeneratedIds[step]}");
            matched++;
            greedy.Append(chosen);
        }
        output.WriteLine($"{modelFile}: max teacher-forced error {teacherErrors.Max() / std:P3} of std ({teacherErrors.Max():E2}, std {std:G4}); " +
            $"greedy identical for {matched} of {reference.GeneratedIds.Length} steps (comparable {comparable})");
        if (tolerance == ReferenceTolerance.Float32)
            Assert.Equal(reference.GeneratedIds.Length, matched);
    }

    /// <summary>Checks each position's reference top list; returns the max absolute error per position.</summary>
    private static double[] CompareTop((int Id, float Logit)[][] reference, Func<int, ReadOnlySpan<float>> logitsAt, double std,
        ReferenceTolerance tolerance, string what)
    {
        var errors = new double[reference.Length];
        for (int i = 0; i < reference.Length; i++)
        {
            var logits = logitsAt(i);
            foreach (var (id, logit) in reference[i])
                errors[i] = Math.Max(errors[i], Math.Abs(logits[id] - logit));
            Assert.True(errors[i] <= tolerance.Worst * std, $"{what} position {i}: error {errors[i] / std:P3} of std exceeds {tolerance.Worst:P1}");
            var top = reference[i];
            if (top[0].Logit - top[1].Logit > 2 * tolerance.Typical * std)
                Assert.True(ArgMax(logits) == top[0].Id, $"{what} position {i}: top-1 {ArgMax(logits)}, reference {top[0].Id}");
        }
        int above = errors.Count(e => e > tolerance.Typical * std);
        Assert.True(above <= tolerance.PositionsAllowedAboveTypical,
            $"{what}: {above} positions exceed {tolerance.Typical:P1} of std (max {errors.Max() / std:P3}); allowed {tolerance.PositionsAllowedAboveTypical}");
        return errors;
    }

    /// <summary>Index of the largest logit, ties to the lowest id (as the reference's greedy).</summary>
    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
                best = i;
        }
        return best;
    }
}
