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
