using Tessera.Cli.Quantize;
using Tessera.Cli.Synth;
using Tessera.Gguf;

namespace Tessera.Testing;

/// <summary>
/// Random-weight models written by `tessera synth` code for tests that need a shape no shared file has (BERT):
/// each written once per test process into a temp folder that goes when the process ends.
/// </summary>
public static class SynthModels
{
    private static readonly TempFolder Folder = CreateFolder();
    private static readonly Lazy<string> BertMiniF32 = new(() => Write("bert-mini", "F32", "bert-mini-F32.gguf"));
    private static readonly Lazy<string> BertMiniQ8 = new(() => Write("bert-mini", "Q8_0", "bert-mini-Q8_0.gguf"));

    /// <summary>The WordPiece vocabulary BERT stand-ins borrow (30522 tokens, bert-bge).</summary>
    public static string BertVocab => Path.Combine(SharedData.TokenizerVectors, "ggml-vocab-bert-bge.gguf");

    /// <summary>`bert-mini` with F32 weights: the encoder's kernels compute exactly enough to meet a float reference.</summary>
    public static string BertMini => BertMiniF32.Value;

    /// <summary>`bert-mini` with Q8_0 matrices.</summary>
    public static string BertMiniQ8_0 => BertMiniQ8.Value;

    private static string Write(string preset, string type, string fileName)
    {
        string path = Path.Combine(Folder.Path, fileName);
        using var vocab = GgufFile.Open(BertVocab);
        SyntheticModel.Write(SynthPreset.Parse(preset), QuantizationPreset.Parse(type), vocab, path, seed: 5, new LineProgress(TextWriter.Null));
        return path;
    }

    private static TempFolder CreateFolder()
    {
        var folder = new TempFolder();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => folder.Dispose();
        return folder;
    }
}
