using Tessera.Backends.OpenCL.Native;
using Tessera.Devices;

namespace Tessera.Backends.OpenCL.Tests;

/// <summary>A failing device throws <see cref="DeviceFailedException"/> and takes no more work.</summary>
public sealed class FailureTests
{
    [OpenClFact]
    public void InjectedFaultFailsTheStepAndLaterOperations()
    {
        using var device = OpenClTestDevice.Create();
        using var buffer = device.Allocate(16);
        device.InjectFault(0);
        var failure = Assert.Throws<DeviceFailedException>(device.BeginStep);
        Assert.Same(device, failure.Device);
        Assert.True(device.Failed);
        Assert.Throws<DeviceFailedException>(() => device.Add(buffer.All, buffer.All));
        Assert.Throws<DeviceFailedException>(() => device.Read(buffer.All, new float[16]));
        Assert.Throws<DeviceFailedException>(() => device.Allocate(4));
    }

    [OpenClFact]
    public void OpenClErrorCodeFailsTheDeviceNamingTheCallAndError()
    {
        using var device = OpenClTestDevice.Create();
        using var buffer = device.Allocate(16);
        device.InjectClError(ClErrors.OutOfResources);
        var failure = Assert.Throws<DeviceFailedException>(device.Synchronize);
        Assert.Contains("clFinish", failure.Message);
        Assert.Contains("CL_OUT_OF_RESOURCES", failure.Message);
        Assert.True(device.Failed);
        Assert.Throws<DeviceFailedException>(() => device.Softmax(buffer.All, 16));
    }

    [OpenClFact]
    public void ErrorInAKernelLaunchFailsTheDevice()
    {
        using var device = OpenClTestDevice.Create();
        using var buffer = device.Allocate(16);
        device.InjectClError(-36); // CL_INVALID_COMMAND_QUEUE, as after a lost device
        var failure = Assert.Throws<DeviceFailedException>(() => device.Add(buffer.All, buffer.All));
        Assert.Contains("CL_INVALID_COMMAND_QUEUE", failure.Message);
        Assert.Contains("add", failure.Message);
        Assert.True(device.Failed);
    }
}
