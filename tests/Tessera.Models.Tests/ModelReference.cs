using System.Text.Json;
using Tessera.Testing;

namespace Tessera.Models.Tests;

/// <summary>The parts of `M.ref.json` the forward is compared with (see the refs README for the format).</summary>
public sealed class ModelReference
{
    public required int VocabularySize { get; init; }
    public required int[] PromptIds { get; init; }
    public required (int Id, float Logit)[][] PromptTop { get; init; }
    public required int[] GeneratedIds { get; init; }
    public required (int Id, float Logit)[][] StepTop { get; init; }
    public required int[] TeacherIds { get; init; }
    public required (int Id, float Logit)[][] TeacherTop { get; init; }
    public required float[] LastLogits { get; init; }

    /// <summary>Standard deviation of the reference's last-position logits: the scale tolerances are relative to.</summary>
    public double LogitStd
    {
        get
        {
            double mean = LastLogits.Average(x => (double)x);
            return Math.Sqrt(LastLogits.Average(x => (x - mean) * (x - mean)));
        }
    }

    public static ModelReference Load(string modelFile)
    {
        string path = Path.Combine(SharedData.Refs, Path.GetFileNameWithoutExtension(modelFile) + ".ref.json");
        using var json = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = json.RootElement;
        var greedy = root.GetProperty("greedy")[0];
        var teacher = root.GetProperty("teacher_forced")[0];
        return new ModelReference
        {
            VocabularySize = root.GetProperty("n_vocab").GetInt32(),
            PromptIds = Ints(greedy.GetProperty("prompt_ids")),
            PromptTop = greedy.GetProperty("prompt_top").EnumerateArray().Select(Top).ToArray(),
            GeneratedIds = Ints(greedy.GetProperty("generated_ids")),
            StepTop = greedy.GetProperty("steps").EnumerateArray().Select(s => Top(s.GetProperty("top"))).ToArray(),
            TeacherIds = Ints(teacher.GetProperty("ids")),
            TeacherTop = teacher.GetProperty("top").EnumerateArray().Select(Top).ToArray(),
            LastLogits = teacher.GetProperty("last_logits").EnumerateArray().Select(e => e.GetSingle()).ToArray(),
        };
    }

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static (int, float)[] Top(JsonElement list) =>
        list.EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetSingle())).ToArray();
}
