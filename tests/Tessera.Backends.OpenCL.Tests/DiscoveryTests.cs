using Tessera.Devices;
using Xunit.Abstractions;

namespace Tessera.Backends.OpenCL.Tests;

public sealed class DiscoveryTests(ITestOutputHelper output)
{
    [OpenClFact]
    public void DevicesAreNamedInOrderAndDescribeThemselves()
    {
        var devices = OpenClPlatform.Discover(out string? reason);
        try
        {
            output.WriteLine($"reason: {reason ?? "(none)"}");
            Assert.NotEmpty(devices);
            for (int i = 0; i < devices.Count; i++)
            {
                var device = devices[i];
                output.WriteLine($"{device} | driver {device.DriverVersion} | {device.MemoryTotal >> 20} MiB | group {device.GroupSize}");
                Assert.Equal(i == 0 ? "opencl" : $"opencl{i}", device.Name);
                Assert.Contains(device.Kind, new[] { DeviceKind.Gpu, DeviceKind.Accelerator });
                Assert.False(string.IsNullOrWhiteSpace(device.Description));
                Assert.False(string.IsNullOrWhiteSpace(device.DriverVersion));
                Assert.True(device.MemoryTotal > 0);
                Assert.InRange(device.MemoryFree, 0, device.MemoryTotal);
                Assert.False(device.Failed);
            }
        }
        finally
        {
            foreach (var device in devices)
                device.Dispose();
        }
    }
}
