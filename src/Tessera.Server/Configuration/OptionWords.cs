using Tessera.Gguf;
using Tessera.Models.Experts;
using Tessera.Tensors;

namespace Tessera.Server.Configuration;

/// <summary>The words users write for the server's enumerated settings, shared by the config file and the CLI flags
/// so both accept the same spellings.</summary>
public static class OptionWords
{
    /// <summary>`map` (memory-map the file) or `copy` (read it into huge-page memory; `read` is the same).</summary>
    public static readonly IReadOnlyDictionary<string, GgufLoadMode> LoadModes = new Dictionary<string, GgufLoadMode>(StringComparer.OrdinalIgnoreCase)
    {
        ["map"] = GgufLoadMode.Map,
        ["copy"] = GgufLoadMode.Copy,
        ["read"] = GgufLoadMode.Copy,
    };

    public static readonly IReadOnlyDictionary<string, MoeSchedule> MoeSchedules = new Dictionary<string, MoeSchedule>(StringComparer.OrdinalIgnoreCase)
    {
        ["auto"] = MoeSchedule.Auto,
        ["off"] = MoeSchedule.Off,
    };

    public static readonly IReadOnlyDictionary<string, GgmlType> KvCacheTypes = new Dictionary<string, GgmlType>(StringComparer.OrdinalIgnoreCase)
    {
        ["f16"] = GgmlType.F16,
        ["f32"] = GgmlType.F32,
        ["q8_0"] = GgmlType.Q8_0,
    };

    /// <summary>The word for <paramref name="value"/> (the first one listed).</summary>
    public static string NameOf<T>(IReadOnlyDictionary<string, T> words, T value) =>
        words.First(pair => EqualityComparer<T>.Default.Equals(pair.Value, value)).Key;

    /// <summary>"a, b or c": the words to suggest in an error.</summary>
    public static string Choices<T>(IReadOnlyDictionary<string, T> words)
    {
        var names = words.Keys.ToArray();
        return names.Length == 1 ? names[0] : string.Join(", ", names[..^1]) + " or " + names[^1];
    }
}
