using Tessera.Gguf.Reading;

namespace Tessera.Gguf.Writing;

/// <summary>
/// Emits one GGUF v3 file: header, key/values, tensor infos, then the tensor data, each tensor
/// starting at a multiple of the alignment (zero padding in between and at the end).
/// </summary>
internal static class GgufEncoder
{
    public const uint Version = 3;

    public static void Write(Stream stream, IReadOnlyList<GgufMetadataEntry> entries, IReadOnlyList<PendingTensor> tensors, long alignment)
    {
        var output = new GgufOutput(stream);
        output.WriteUInt32(GgufHeaderParser.Magic);
        output.WriteUInt32(Version);
        output.WriteUInt64((ulong)tensors.Count);
        output.WriteUInt64((ulong)entries.Count);
        foreach (var entry in entries)
            WriteEntry(output, entry);

        long offset = 0;
        foreach (var tensor in tensors)
        {
            output.WriteString(tensor.Name);
            output.WriteUInt32((uint)tensor.Dimensions.Length);
            foreach (var dimension in tensor.Dimensions)
                output.WriteUInt64((ulong)dimension);
            output.WriteUInt32((uint)tensor.Type);
            output.WriteUInt64((ulong)offset);
            offset = GgufHeaderParser.AlignUp(checked(offset + tensor.ByteSize), alignment);
        }

        if (tensors.Count > 0) // a file without tensors ends after its metadata, as other writers do
            output.PadTo(alignment);
        foreach (var tensor in tensors)
        {
            WriteData(output, tensor);
            output.PadTo(alignment);
        }
        output.Flush();
        stream.Flush();
    }

    private static void WriteData(GgufOutput output, PendingTensor tensor)
    {
        if (tensor.WriteData is null)
        {
            output.WriteBytes(tensor.Data.Span);
            return;
        }
        var data = new TensorDataStream(output, tensor.Name, tensor.ByteSize);
        tensor.WriteData(data);
        if (data.Written != tensor.ByteSize)
            throw new InvalidOperationException(
                $"tensor '{tensor.Name}': the data writer wrote {data.Written} bytes, expected {tensor.ByteSize}");
    }

    private static void WriteEntry(GgufOutput output, GgufMetadataEntry entry)
    {
        output.WriteString(entry.Key);
        output.WriteUInt32((uint)entry.Type);
        if (entry.Type != GgufValueType.Array)
        {
            WriteScalar(output, entry.Type, entry.Value);
            return;
        }
        var elementType = entry.ElementType!.Value;
        var array = (Array)entry.Value;
        output.WriteUInt32((uint)elementType);
        output.WriteUInt64((ulong)array.Length);
        switch (array)
        {
            case string[] strings:
                foreach (var s in strings)
                    output.WriteString(s);
                break;
            case bool[] bools:
                foreach (var b in bools)
                    output.WriteBytes([b ? (byte)1 : (byte)0]);
                break;
            case byte[] a: output.WriteNumbers<byte>(a); break;
            case sbyte[] a: output.WriteNumbers<sbyte>(a); break;
            case ushort[] a: output.WriteNumbers<ushort>(a); break;
            case short[] a: output.WriteNumbers<short>(a); break;
            case uint[] a: output.WriteNumbers<uint>(a); break;
            case int[] a: output.WriteNumbers<int>(a); break;
            case float[] a: output.WriteNumbers<float>(a); break;
            case ulong[] a: output.WriteNumbers<ulong>(a); break;
            case long[] a: output.WriteNumbers<long>(a); break;
            case double[] a: output.WriteNumbers<double>(a); break;
            default: throw new InvalidOperationException($"metadata '{entry.Key}': unsupported array {array.GetType()}");
        }
    }

    private static void WriteScalar(GgufOutput output, GgufValueType type, object value)
    {
        switch (value)
        {
            case string s: output.WriteString(s); break;
            case bool b: output.WriteBytes([b ? (byte)1 : (byte)0]); break;
            case byte v: output.WriteBytes([v]); break;
            case sbyte v: output.WriteBytes([(byte)v]); break;
            case ushort v: output.WriteNumbers<ushort>([v]); break;
            case short v: output.WriteNumbers<short>([v]); break;
            case uint v: output.WriteUInt32(v); break;
            case int v: output.WriteUInt32((uint)v); break;
            case float v: output.WriteUInt32(BitConverter.SingleToUInt32Bits(v)); break;
            case ulong v: output.WriteUInt64(v); break;
            case long v: output.WriteUInt64((ulong)v); break;
            case double v: output.WriteUInt64(BitConverter.DoubleToUInt64Bits(v)); break;
            default: throw new InvalidOperationException($"unsupported {type} value {value.GetType()}");
        }
    }
}
