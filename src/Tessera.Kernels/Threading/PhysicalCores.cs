namespace Tessera.Kernels.Threading;

/// <summary>
/// Counts physical cores. <see cref="Environment.ProcessorCount"/> counts logical processors (SMT siblings included)
/// and already honours affinity masks and container CPU limits; two SMT threads share one core's SIMD units, so
/// kernels gain little from the second one. On Linux the core count comes from the sysfs topology (unique
/// package/core pairs); elsewhere, or if that fails, the logical count is used. The result never exceeds the
/// logical count the process may use.
/// </summary>
public static class PhysicalCores
{
    private static readonly Lazy<int> CountValue = new(Detect);

    public static int Count => CountValue.Value;

    private static int Detect()
    {
        int logical = Environment.ProcessorCount;
        if (!OperatingSystem.IsLinux())
            return logical;
        try
        {
            var cores = new HashSet<(string Package, string Core)>();
            foreach (var cpu in Directory.EnumerateDirectories("/sys/devices/system/cpu", "cpu*"))
            {
                string topology = Path.Combine(cpu, "topology");
                string corePath = Path.Combine(topology, "core_id");
                if (!File.Exists(corePath))
                    continue;
                string package = File.ReadAllText(Path.Combine(topology, "physical_package_id")).Trim();
                cores.Add((package, File.ReadAllText(corePath).Trim()));
            }
            return cores.Count == 0 ? logical : Math.Min(cores.Count, logical);
        }
        catch (IOException)
        {
            return logical;
        }
        catch (UnauthorizedAccessException)
        {
            return logical;
        }
    }
}
