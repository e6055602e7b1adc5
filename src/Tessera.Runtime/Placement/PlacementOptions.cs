namespace Tessera.Runtime.Placement;

/// <summary>
/// What the user asked for: `--device cpu|opencl|NAME|auto`, `--gpu-layers N|auto` (the last N layers on the
/// accelerator, the output head too when N reaches the layer count, as llama.cpp counts) and tensor-name overrides
/// (`--override-tensor 'ffn_.*_exps=cpu'`).
/// </summary>
public sealed record PlacementOptions
{
    public const string Auto = "auto";

    /// <summary>`auto` (default), `cpu`, or an accelerator's name (`opencl`, `opencl1`, ...).</summary>
    public string Device { get; init; } = Auto;

    /// <summary>Layers on the accelerator; null lets the planner choose (auto), or all of them with an explicit device.</summary>
    public int? GpuLayers { get; init; }

    public IReadOnlyList<TensorOverride> Overrides { get; init; } = [];

    /// <summary>Measure device speeds again instead of reading the cache.</summary>
    public bool RemeasureDevices { get; init; }

    /// <summary>Parses `--gpu-layers`: a count of at least 0, or `auto`.</summary>
    public static int? ParseGpuLayers(string text)
    {
        if (string.Equals(text, Auto, StringComparison.OrdinalIgnoreCase))
            return null;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int layers))
            return layers;
        throw new PlacementException($"--gpu-layers '{text}' is not a layer count or 'auto'");
    }
}
