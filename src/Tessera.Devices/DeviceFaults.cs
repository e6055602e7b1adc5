namespace Tessera.Devices;

/// <summary>
/// Fault injection for tests and for operators rehearsing a device failure: `TESSERA_FAULT=opencl:step=5` makes the
/// device named `opencl` fail at its forward pass number 5 (0 is the first; with `tessera run`, 0 is the prompt and N
/// the N-th generated token). Several faults are separated by commas.
/// </summary>
public static class DeviceFaults
{
    public const string EnvironmentVariable = "TESSERA_FAULT";

    /// <summary>Device name -> step, from <paramref name="specification"/>; a malformed entry is an error naming it.</summary>
    public static IReadOnlyDictionary<string, long> Parse(string? specification)
    {
        var faults = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(specification))
            return faults;
        foreach (var entry in specification.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int colon = entry.IndexOf(':');
            const string stepKey = "step=";
            if (colon <= 0 || !entry.AsSpan(colon + 1).StartsWith(stepKey) || !long.TryParse(entry.AsSpan(colon + 1 + stepKey.Length), out long step) || step < 0)
                throw new ArgumentException($"{EnvironmentVariable} entry '{entry}' is not DEVICE:step=N (N >= 0)");
            faults[entry[..colon]] = step;
        }
        return faults;
    }

    /// <summary>Schedules the faults named in the environment on the matching devices.</summary>
    public static void ApplyFromEnvironment(IEnumerable<ComputeDevice> devices)
    {
        var faults = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));
        foreach (var device in devices)
        {
            if (faults.TryGetValue(device.Name, out long step))
                device.InjectFault(step);
        }
    }
}
