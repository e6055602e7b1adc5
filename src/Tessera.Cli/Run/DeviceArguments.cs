using System.CommandLine;
using Tessera.Runtime.Placement;

namespace Tessera.Cli.Run;

/// <summary>
/// The placement options of the commands that run a model: `--device cpu|opencl|NAME|auto` (default auto: the planner
/// decides from measured speeds), `--gpu-layers N|auto` (the last N layers on the accelerator) and
/// `--override-tensor PATTERN=DEVICE` (repeatable; tensors whose name matches go to DEVICE).
/// </summary>
public sealed class DeviceArguments
{
    private readonly Option<string> _device = new("--device") { Description = "Where to run: auto (measured), cpu, opencl, or a device name from `tessera devices`", DefaultValueFactory = _ => PlacementOptions.Auto };
    private readonly Option<string> _gpuLayers = new("--gpu-layers", "-ngl") { Description = "Layers on the accelerator (the last N), or auto", DefaultValueFactory = _ => PlacementOptions.Auto };
    private readonly Option<string[]> _overrides = new("--override-tensor", "-ot") { Description = "PATTERN=DEVICE: tensors matching the regular expression run on DEVICE (repeatable)" };

    public void AddTo(Command command)
    {
        command.Options.Add(_device);
        command.Options.Add(_gpuLayers);
        command.Options.Add(_overrides);
    }

    /// <param name="fallback">the placement a config file asks for: each option given on the command line replaces its part</param>
    /// <remarks>A bad value is a <see cref="PlacementException"/>, which the CLI prints as one line like its own errors.</remarks>
    public PlacementOptions Read(ParseResult parse, PlacementOptions? fallback = null) => new()
    {
        Device = fallback is null || parse.IsGiven(_device) ? parse.GetValue(_device)! : fallback.Device,
        GpuLayers = fallback is null || parse.IsGiven(_gpuLayers) ? PlacementOptions.ParseGpuLayers(parse.GetValue(_gpuLayers)!) : fallback.GpuLayers,
        Overrides = fallback is null || parse.IsGiven(_overrides)
            ? (parse.GetValue(_overrides) ?? []).SelectMany(TensorOverride.Parse).ToArray()
            : fallback.Overrides,
    };
}
