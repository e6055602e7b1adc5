using Tessera.Devices;
using Tessera.Devices.Measurement;
using Tessera.Kernels.Elementwise;
using Tessera.Tensors;

namespace Tessera.Runtime.Tests.Placement;

/// <summary>A device with the memory and speed a test gives it, for the planner alone: it runs nothing.</summary>
internal sealed class FakeDevice(string name, long memoryFree, DeviceKind kind = DeviceKind.Gpu) : ComputeDevice
{
    public override string Name => name;
    public override DeviceKind Kind => kind;
    public override string Description => "fake";
    public override string DriverVersion => "fake";
    public override long MemoryTotal => memoryFree;
    public override long MemoryFree => memoryFree;
    public override bool Supports(DeviceOp op, GgmlType weightType) => true;

    public static DeviceSpeed Speed(double bytesPerSecond, double operationSeconds, double transferBytesPerSecond = 10e9) => new()
    {
        MatVecBytesPerSecond = Enum.GetValues<GgmlType>().Distinct().ToDictionary(t => t, _ => bytesPerSecond),
        MatMulFlopsPerSecond = [],
        HostToDeviceBytesPerSecond = transferBytesPerSecond,
        DeviceToHostBytesPerSecond = transferBytesPerSecond,
        OperationSeconds = operationSeconds,
        MeasuredAt = DateTime.UnixEpoch,
    };

    public override DeviceBuffer Allocate(int length) => throw Runs();
    public override unsafe DeviceMatrix UploadMatrix(string name, GgmlType type, byte* data, long rows, int columns) => throw Runs();
    public override DeviceKvLayer CreateKvLayer(int kvHeadCount, int headDim, int pageSize, int pageCount, GgmlType elementType) => throw Runs();
    public override void Write(DeviceSpan destination, ReadOnlySpan<float> source) => throw Runs();
    public override void Read(DeviceSpan source, Span<float> destination) => throw Runs();
    public override void Linear(MatrixRows weight, DeviceSpan x, int tokens, DeviceSpan y) => throw Runs();
    public override void RmsNorm(DeviceSpan x, DeviceBuffer weight, float epsilon, DeviceSpan y) => throw Runs();
    public override void AddRows(DeviceSpan y, DeviceBuffer bias) => throw Runs();
    public override void Rope(DeviceSpan x, int tokens, int headCount, int headDim, int firstPosition, in RopeOptions options) => throw Runs();
    public override void Attention(DeviceKvLayer cache, GgmlType cellType, ReadOnlySpan<int> pages, int firstPosition, int tokens, int headCount, DeviceSpan q, DeviceSpan k, DeviceSpan v, DeviceSpan output) => throw Runs();
    public override void SwiGlu(DeviceSpan gate, DeviceSpan up, DeviceSpan output) => throw Runs();
    public override void Add(DeviceSpan x, DeviceSpan y) => throw Runs();
    public override void Softmax(DeviceSpan x, int rowLength) => throw Runs();
    public override void GatherRows(DeviceSpan source, int rowLength, ReadOnlySpan<int> rows, DeviceSpan destination) => throw Runs();
    public override void ScatterAddRows(DeviceSpan source, int rowLength, ReadOnlySpan<int> rows, ReadOnlySpan<float> weights, DeviceSpan destination) => throw Runs();
    public override void Synchronize() => throw Runs();

    private static NotSupportedException Runs() => new("a fake device only takes part in planning");
}
