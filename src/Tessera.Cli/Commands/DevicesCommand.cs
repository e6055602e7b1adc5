using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Tessera.Devices;
using Tessera.Devices.Cpu;
using Tessera.Devices.Measurement;
using Tessera.Kernels.Threading;
using Tessera.Runtime.Placement;
using Tessera.Tensors;

namespace Tessera.Cli.Commands;

/// <summary>
/// `tessera devices [--json] [--remeasure] [-t N]`: every device the planner may use, with its memory, the weight types
/// it has kernels for and its measured speeds (measured on first use, then read from the cache; `--remeasure` measures
/// again). Says why when no accelerator is found.
/// </summary>
public static class DevicesCommand
{
    public static Command Create(CommandOutput output)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var remeasure = new Option<bool>("--remeasure") { Description = "Measure the speeds again instead of reading the cache" };
        var threads = new Option<int>("--threads", "-t") { Description = "CPU threads (0 = physical cores)" };
        var command = new Command("devices", "List the devices with their memory, supported weight types and measured speeds");
        command.Options.Add(json);
        command.Options.Add(remeasure);
        command.Options.Add(threads);
        command.SetAction(parse =>
        {
            using var pool = new KernelThreadPool(parse.GetValue(threads));
            using var cpu = new CpuDevice(pool);
            var devices = DeviceDiscovery.Accelerators.Prepend(cpu).ToList();
            var rows = devices.Select(d => Describe(d, DeviceSpeedCache.GetOrMeasure(d, parse.GetValue(remeasure)))).ToList();
            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(new { devices = rows, accelerators_unavailable = DeviceDiscovery.UnavailableReason },
                    new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                return TesseraCli.ExitOk;
            }
            foreach (var row in rows)
                Print(output.Out, row);
            if (DeviceDiscovery.UnavailableReason is { } reason)
                output.Out.WriteLine($"no accelerator: {reason}");
            output.Out.WriteLine($"speeds cached in {DeviceSpeedCache.FilePath}");
            return TesseraCli.ExitOk;
        });
        return command;
    }

    public sealed record DeviceRow(string Name, string Kind, string Description, string Driver, long MemoryTotal, long MemoryFree,
        IReadOnlyList<string> Operations, IReadOnlyList<string> WeightTypes, IReadOnlyDictionary<string, double> MatvecGbPerSecond, IReadOnlyDictionary<string, double> MatmulGflopPerSecond,
        double HostToDeviceGbPerSecond, double DeviceToHostGbPerSecond, double OperationMicroseconds);

    private static DeviceRow Describe(ComputeDevice device, DeviceSpeed speed) => new(
        device.Name, device.Kind.ToString().ToLowerInvariant(), device.Description, device.DriverVersion, device.MemoryTotal, device.MemoryFree,
        Enum.GetValues<DeviceOp>().Where(op => device.Supports(op, GgmlType.F32)).Select(op => op.ToString()).ToArray(),
        DeviceBenchmark.Types.Where(t => device.Supports(DeviceOp.MatVec, t)).Select(t => t.ToString()).ToArray(),
        speed.MatVecBytesPerSecond.ToDictionary(p => p.Key.ToString(), p => Math.Round(p.Value / 1e9, 2)),
        speed.MatMulFlopsPerSecond.ToDictionary(p => p.Key.ToString(), p => Math.Round(p.Value / 1e9, 1)),
        Math.Round(speed.HostToDeviceBytesPerSecond / 1e9, 2), Math.Round(speed.DeviceToHostBytesPerSecond / 1e9, 2),
        Math.Round(speed.OperationSeconds * 1e6, 1));

    private static void Print(TextWriter text, DeviceRow d)
    {
        var c = CultureInfo.InvariantCulture;
        text.WriteLine(string.Create(c, $"{d.Name} ({d.Kind}): {d.Description}"));
        text.WriteLine(string.Create(c, $"  memory      {Units.Bytes(d.MemoryTotal)} total, {Units.Bytes(d.MemoryFree)} free"));
        text.WriteLine($"  operations  {string.Join(' ', d.Operations)}");
        text.WriteLine($"  weights     {string.Join(' ', d.WeightTypes)} (matrix kernels; others converted to F32 at load)");
        text.WriteLine($"  matvec      {string.Join(", ", d.MatvecGbPerSecond.Select(p => string.Create(c, $"{p.Key} {p.Value:F1} GB/s")))}");
        text.WriteLine($"  matmul      {string.Join(", ", d.MatmulGflopPerSecond.Select(p => string.Create(c, $"{p.Key} {p.Value:F0} GFLOP/s")))}");
        text.WriteLine(string.Create(c, $"  transfers   {d.HostToDeviceGbPerSecond:F1} GB/s to, {d.DeviceToHostGbPerSecond:F1} GB/s from the device; {d.OperationMicroseconds:F1} us per operation"));
    }
}
