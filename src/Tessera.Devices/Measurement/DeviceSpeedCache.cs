using System.Text.Json;

namespace Tessera.Devices.Measurement;

/// <summary>
/// Measured speeds kept on disk per device name and driver version, so start-up measures a device once, not every
/// time: `devices.json` in `TESSERA_CACHE_DIR`, else `$XDG_CACHE_HOME/tessera`, else `~/.cache/tessera`. A missing,
/// unreadable or stale entry is measured again; a cache that cannot be written only costs the next start a measurement.
/// </summary>
public static class DeviceSpeedCache
{
    public const string DirectoryVariable = CacheDirectory.Variable;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private static readonly object Gate = new();

    public static string FilePath => Path.Combine(CacheDirectory.Path, "devices.json");

    public static string Key(ComputeDevice device) => $"{device.Name}|{device.DriverVersion}";

    /// <summary>The cached speed of <paramref name="device"/>, measuring (and storing) it when absent or when <paramref name="refresh"/>.</summary>
    public static DeviceSpeed GetOrMeasure(ComputeDevice device, bool refresh = false)
    {
        lock (Gate)
        {
            var entries = Load();
            string key = Key(device);
            if (!refresh && entries.TryGetValue(key, out var cached))
                return cached;
            var speed = DeviceBenchmark.Measure(device);
            entries[key] = speed;
            Save(entries);
            return speed;
        }
    }

    private static Dictionary<string, DeviceSpeed> Load()
    {
        try
        {
            return File.Exists(FilePath)
                ? JsonSerializer.Deserialize<Dictionary<string, DeviceSpeed>>(File.ReadAllText(FilePath), Json) ?? []
                : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return [];
        }
    }

    private static void Save(Dictionary<string, DeviceSpeed> entries)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            string temporary = FilePath + $".{Environment.ProcessId}.tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(entries, Json));
            File.Move(temporary, FilePath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
