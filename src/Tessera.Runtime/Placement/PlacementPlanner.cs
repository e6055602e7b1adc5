using System.Globalization;
using Tessera.Devices;
using Tessera.Models;

namespace Tessera.Runtime.Placement;

/// <summary>
/// Places whole sub-blocks (each layer's attention and feed-forward, and the output head) on devices by memory and
/// measured speed. Like llama.cpp's `--n-gpu-layers`, an accelerator takes the last layers; under `auto` the number of
/// layers (0..all) and the head's place are chosen by predicted decode time, transfers counted, so a layer goes to a
/// device only when the plan is predicted faster. Nothing is placed over a device's free memory. Overrides by tensor
/// name come last and win.
/// </summary>
public static class PlacementPlanner
{
    /// <summary>Share of an accelerator's free memory the planner may fill (drivers need some for themselves).</summary>
    private const double MemoryUse = 0.9;

    /// <param name="kvLayerBytes">bytes of one layer's KV cells</param>
    /// <param name="scratchBytes">bytes of one device's activation buffers</param>
    /// <param name="unavailableReason">why no accelerator was found, for the error when one is asked for</param>
    public static ExecutionPlan Plan(TransformerModel model, IReadOnlyList<ComputeDevice> devices, PlacementOptions options, PlanCostModel costs,
        long kvLayerBytes, long scratchBytes, string? unavailableReason = null)
    {
        var cpu = devices.FirstOrDefault(d => d.Kind == DeviceKind.Cpu && !d.Failed) ?? throw new PlacementException("no CPU device: the CPU is every plan's fallback");
        var usable = devices.Where(d => !d.Failed).ToList();
        var parts = ModelPart.Of(model);
        int layers = model.Hyperparameters.LayerCount;
        var notes = new List<string>();
        var overrides = ResolveOverrides(options.Overrides, usable, unavailableReason);
        if (options.GpuLayers is < 0)
            throw new PlacementException($"--gpu-layers {options.GpuLayers} is negative");

        ComputeDevice? target = ChooseTarget(options, usable, cpu, parts, costs, notes, unavailableReason);
        int requested = target is null ? 0 : options.GpuLayers ?? layers;
        if (target is null && options.GpuLayers > 0)
            notes.Add($"--gpu-layers {options.GpuLayers} ignored: no accelerator is in use");
        if (requested > layers)
        {
            notes.Add($"--gpu-layers {requested} is more than the model's {layers} layers: all of them and the output head go to {target!.Name}");
            requested = layers;
        }

        var budget = usable.Where(d => d.Kind != DeviceKind.Cpu).ToDictionary(d => d, d => (long)(d.MemoryFree * MemoryUse));
        ComputeDevice[] best;
        bool searching = target is not null && options.Device == PlacementOptions.Auto && options.GpuLayers is null;
        if (searching)
        {
            best = Search(parts, layers, cpu, target!, overrides, budget, costs, kvLayerBytes, scratchBytes, notes);
        }
        else
        {
            best = Fit(parts, layers, requested, requested == layers, cpu, target, overrides, budget, kvLayerBytes, scratchBytes, notes)
                ?? throw new PlacementException("the tensor overrides alone need more memory than the devices named in them have free");
        }

        return ExecutionPlan.For(parts, best, devices, Describe(options), 1 / costs.StepSeconds(parts, best, cpu), notes, kvLayerBytes);
    }

    /// <summary>The accelerator to use: the one named, or under auto the one predicted fastest with every part on it.</summary>
    private static ComputeDevice? ChooseTarget(PlacementOptions options, List<ComputeDevice> usable, ComputeDevice cpu, IReadOnlyList<ModelPart> parts,
        PlanCostModel costs, List<string> notes, string? unavailableReason)
    {
        string name = options.Device;
        if (string.Equals(name, "cpu", StringComparison.OrdinalIgnoreCase))
            return null;
        var accelerators = usable.Where(d => d.Kind != DeviceKind.Cpu).ToList();
        if (!string.Equals(name, PlacementOptions.Auto, StringComparison.OrdinalIgnoreCase))
        {
            return accelerators.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new PlacementException($"unknown device '{name}' (available: {string.Join(", ", usable.Select(d => d.Name).Prepend(PlacementOptions.Auto))})"
                    + (accelerators.Count == 0 && unavailableReason is not null ? $"; {unavailableReason}" : ""));
        }
        if (accelerators.Count == 0)
        {
            notes.Add("no accelerator found" + (unavailableReason is null ? "" : $" ({unavailableReason})") + ": everything on the CPU");
            return null;
        }
        return accelerators.MinBy(d => costs.StepSeconds(parts, parts.Select(_ => d).ToArray(), cpu));
    }

    /// <summary>Every count of last layers (0..all) with the head on either device; the fastest that fits.</summary>
    private static ComputeDevice[] Search(IReadOnlyList<ModelPart> parts, int layers, ComputeDevice cpu, ComputeDevice target, List<(TensorOverride Rule, ComputeDevice Device)> overrides,
        Dictionary<ComputeDevice, long> budget, PlanCostModel costs, long kvLayerBytes, long scratchBytes, List<string> notes)
    {
        ComputeDevice[]? best = null;
        double bestSeconds = double.PositiveInfinity;
        int bestLayers = 0;
        for (int k = 0; k <= layers; k++)
        {
            foreach (bool head in new[] { false, true })
            {
                var candidate = Assign(parts, layers, k, head, cpu, target, overrides);
                if (!Fits(parts, candidate, budget, kvLayerBytes, scratchBytes))
                    continue;
                double seconds = costs.StepSeconds(parts, candidate, cpu);
                if (seconds < bestSeconds)
                    (best, bestSeconds, bestLayers) = (candidate, seconds, k);
            }
        }
        best ??= Assign(parts, layers, 0, false, cpu, target, overrides);
        double cpuOnly = costs.StepSeconds(parts, Assign(parts, layers, 0, false, cpu, target, []), cpu);
        double allOn = costs.StepSeconds(parts, parts.Select(_ => target).ToArray(), cpu);
        notes.Add(bestLayers == 0 && best.All(d => d == cpu)
            ? string.Create(CultureInfo.InvariantCulture, $"{target.Name} is predicted slower ({1 / allOn:F1} tokens/s with every layer there, {1 / cpuOnly:F1} on the CPU alone): everything stays on the CPU")
            : string.Create(CultureInfo.InvariantCulture, $"{bestLayers} of {layers} layers on {target.Name}: predicted {1 / bestSeconds:F1} tokens/s, against {1 / cpuOnly:F1} on the CPU alone and {1 / allOn:F1} with everything on {target.Name}"));
        return best;
    }

    /// <summary>The requested layers on the target, fewer (and the head back on the CPU) while they do not fit; null when even none fits.</summary>
    private static ComputeDevice[]? Fit(IReadOnlyList<ModelPart> parts, int layers, int requested, bool head, ComputeDevice cpu, ComputeDevice? target,
        List<(TensorOverride Rule, ComputeDevice Device)> overrides, Dictionary<ComputeDevice, long> budget, long kvLayerBytes, long scratchBytes, List<string> notes)
    {
        for (int k = requested; k >= 0; k--)
        {
            foreach (bool withHead in head && k == requested ? new[] { true, false } : new[] { false })
            {
                var candidate = Assign(parts, layers, k, withHead, cpu, target ?? cpu, overrides);
                if (!Fits(parts, candidate, budget, kvLayerBytes, scratchBytes))
                    continue;
                if (k < requested || (head && !withHead))
                {
                    long free = budget.GetValueOrDefault(target!);
                    notes.Add(k == 0 && !withHead
                        ? $"{target!.Name} has {free >> 20} MiB usable, less than one layer needs: nothing placed there"
                        : $"{target!.Name} has {free >> 20} MiB usable: {k} of the {requested} layers requested fit{(head && !withHead ? ", the output head stays on the CPU" : "")}");
                }
                return candidate;
            }
        }
        return null;
    }

    /// <summary>The last <paramref name="k"/> layers (both sub-blocks) and optionally the head on the target, the rest on the CPU, then the overrides.</summary>
    private static ComputeDevice[] Assign(IReadOnlyList<ModelPart> parts, int layers, int k, bool head, ComputeDevice cpu, ComputeDevice target,
        List<(TensorOverride Rule, ComputeDevice Device)> overrides)
    {
        var devices = new ComputeDevice[parts.Count];
        for (int i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            devices[i] = part.Kind == PartKind.Head ? (head ? target : cpu) : part.Layer >= layers - k ? target : cpu;
            foreach (var (rule, device) in overrides)
            {
                if (part.TensorNames.Any(rule.Pattern.IsMatch))
                {
                    devices[i] = device;
                    break;
                }
            }
        }
        return devices;
    }

    private static bool Fits(IReadOnlyList<ModelPart> parts, ComputeDevice[] devices, Dictionary<ComputeDevice, long> budget, long kvLayerBytes, long scratchBytes)
    {
        foreach (var (device, free) in budget)
        {
            long need = 0;
            for (int i = 0; i < parts.Count; i++)
            {
                if (devices[i] != device)
                    continue;
                need += parts[i].StoredBytes(device) + (parts[i].Kind == PartKind.Attention ? kvLayerBytes : 0);
            }
            if (need > 0 && need + scratchBytes > free)
                return false;
        }
        return true;
    }

    private static List<(TensorOverride, ComputeDevice)> ResolveOverrides(IReadOnlyList<TensorOverride> overrides, List<ComputeDevice> usable, string? unavailableReason) =>
        overrides.Select(o => (o, usable.FirstOrDefault(d => string.Equals(d.Name, o.Device, StringComparison.OrdinalIgnoreCase))
            ?? throw new PlacementException($"--override-tensor '{o}': unknown device '{o.Device}' (available: {string.Join(", ", usable.Select(d => d.Name))})"
                + (unavailableReason is null ? "" : $"; {unavailableReason}")))).ToList();

    private static string Describe(PlacementOptions options)
    {
        var words = new List<string> { $"--device {options.Device}" };
        if (options.GpuLayers is { } n)
            words.Add($"--gpu-layers {n}");
        if (options.Overrides.Count > 0)
            words.Add($"--override-tensor {string.Join(',', options.Overrides)}");
        return string.Join(' ', words);
    }
}
