namespace Tessera.Devices;

/// <summary>What sort of processor a device is; the planner treats every kind alike, by measured speed.</summary>
public enum DeviceKind
{
    Cpu,
    Gpu,
    Npu,
    Accelerator,
}
