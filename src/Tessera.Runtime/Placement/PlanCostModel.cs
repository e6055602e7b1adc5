using Tessera.Devices;
using Tessera.Devices.Measurement;
using Tessera.Models;
using Tessera.Tensors;

namespace Tessera.Runtime.Placement;

/// <summary>
/// Predicts seconds per decode token of an assignment from measured device speeds: each part costs the weight bytes
/// it reads divided by its device's matrix-vector bytes/s for the stored type, plus its operations times the device's
/// fixed cost per operation; each hop of the residual stream between devices costs its bytes over the transfer rates
/// plus one operation on each accelerator side; an accelerator head also sends the logits back.
/// </summary>
public sealed class PlanCostModel(TransformerModel model, Func<ComputeDevice, DeviceSpeed> speedOf)
{
    private readonly Dictionary<ComputeDevice, DeviceSpeed> _speeds = [];

    public DeviceSpeed Speed(ComputeDevice device)
    {
        if (!_speeds.TryGetValue(device, out var speed))
            _speeds[device] = speed = speedOf(device);
        return speed;
    }

    /// <summary>Seconds one decode token spends in <paramref name="part"/> on <paramref name="device"/>; infinity when it cannot run there.</summary>
    public double PartSeconds(ModelPart part, ComputeDevice device)
    {
        var speed = Speed(device);
        double seconds = part.Operations * speed.OperationSeconds;
        foreach (var (matrix, fraction) in part.Matrices)
        {
            var stored = device.StoredType(matrix.Type);
            double rate = speed.MatVec(stored);
            if (rate <= 0 || !device.Supports(DeviceOp.MatVec, stored))
                return double.PositiveInfinity;
            seconds += StoredBytes(matrix, device) * fraction / rate;
        }
        return seconds;
    }

    /// <summary>Seconds to move <paramref name="floats"/> activations from one device to another.</summary>
    public double TransferSeconds(ComputeDevice from, ComputeDevice to, int floats)
    {
        if (from == to)
            return 0;
        double bytes = floats * 4.0;
        double seconds = 0;
        if (from.Kind != DeviceKind.Cpu)
            seconds += bytes / Speed(from).DeviceToHostBytesPerSecond + Speed(from).OperationSeconds;
        if (to.Kind != DeviceKind.Cpu)
            seconds += bytes / Speed(to).HostToDeviceBytesPerSecond + Speed(to).OperationSeconds;
        return seconds;
    }

    /// <summary>Predicted seconds per decode token of the whole assignment (parts in forward order, see <see cref="ModelPart.Of"/>).</summary>
    public double StepSeconds(IReadOnlyList<ModelPart> parts, IReadOnlyList<ComputeDevice> devices, ComputeDevice host)
    {
        var hp = model.Hyperparameters;
        double seconds = 0;
        var previous = host;
        for (int i = 0; i < parts.Count; i++)
        {
            seconds += TransferSeconds(previous, devices[i], hp.EmbeddingLength) + PartSeconds(parts[i], devices[i]);
            if (parts[i].Kind == PartKind.FeedForward && hp.IsMixtureOfExperts)
                seconds += TransferSeconds(devices[i], host, hp.ExpertCount);   // router logits come back to choose experts
            previous = devices[i];
        }
        return seconds + TransferSeconds(previous, host, hp.VocabularySize);
    }

    public static long StoredBytes(in WeightMatrix matrix, ComputeDevice device) =>
        GgmlTypeTraits.Of(device.StoredType(matrix.Type)).BytesFor(matrix.Columns) * matrix.Rows;
}
