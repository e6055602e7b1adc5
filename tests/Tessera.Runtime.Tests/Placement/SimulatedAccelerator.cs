using Tessera.Devices;
using Tessera.Devices.Cpu;
using Tessera.Kernels.Threading;

namespace Tessera.Runtime.Tests.Placement;

/// <summary>
/// An "accelerator" that computes exactly like the CPU (it is one, under another name and kind) with its own buffers,
/// matrices and KV layers, so placement, transfers between devices and fallback can be tested on any machine, with
/// results that must equal a CPU-only run bit for bit.
/// </summary>
internal sealed class SimulatedAccelerator(KernelThreadPool pool, string name = "sim", bool failOnUpload = false) : CpuDevice(pool)
{
    public override unsafe DeviceMatrix UploadMatrix(string name, Tensors.GgmlType type, byte* data, long rows, int columns) =>
        failOnUpload ? throw Fail("out of device memory (simulated)") : base.UploadMatrix(name, type, data, rows, columns);

    public override string Name => name;
    public override DeviceKind Kind => DeviceKind.Gpu;
    public override string Description => "CPU kernels posing as an accelerator";
    public override string DriverVersion => "simulated " + base.DriverVersion;
}
