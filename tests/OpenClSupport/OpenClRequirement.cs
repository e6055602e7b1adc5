using Tessera.Runtime.Placement;

namespace Tessera.Testing;

/// <summary>
/// Tests that run models on an OpenCL device (PoCL in CI) are skipped, with the reason, where no OpenCL device is
/// usable: they never pass silently. Linked into the test projects that need it.
/// </summary>
public static class OpenClRequirement
{
    public static string? SkipReason => DeviceDiscovery.Accelerators.Any(d => d.Name == "opencl") ? null : "no OpenCL runtime: " + (DeviceDiscovery.UnavailableReason ?? "no device named opencl");
}

public sealed class OpenClFactAttribute : FactAttribute
{
    public OpenClFactAttribute() => Skip = OpenClRequirement.SkipReason;
}

public sealed class OpenClTheoryAttribute : TheoryAttribute
{
    public OpenClTheoryAttribute() => Skip = OpenClRequirement.SkipReason;
}

/// <summary>A fact about PoCL, the CPU OpenCL runtime CI installs (slower than our CPU kernels): skipped, saying so,
/// where the `opencl` device is something else, such as a real GPU.</summary>
public sealed class PoclFactAttribute : FactAttribute
{
    public PoclFactAttribute() => Skip = OpenClRequirement.SkipReason
        ?? (DeviceDiscovery.Accelerators.First(d => d.Name == "opencl").Description.Contains("PoCL", StringComparison.Ordinal) ? null : "the opencl device is not PoCL");
}
