using Tessera.Runtime.Experts;

namespace Tessera.Server.Configuration;

/// <summary>`--moe-device NAME[:SIZE]` (and `devices.moe_device`): the accelerator that keeps copies of the hottest MoE
/// experts, and how much of its memory they may take (default: most of what is free).</summary>
public static class MoeDeviceValue
{
    public static ExpertDeviceOptions Parse(string text)
    {
        int colon = text.IndexOf(':');
        string name = colon < 0 ? text : text[..colon];
        if (name.Length == 0)
            throw new FormatException($"'{text}' names no device; write it like opencl or opencl:2G");
        if (colon < 0)
            return new ExpertDeviceOptions { Device = name };
        string size = text[(colon + 1)..];
        return ByteSize.TryParse(size, out long bytes) && bytes > 0
            ? new ExpertDeviceOptions { Device = name, MemoryBytes = bytes }
            : throw new FormatException($"'{size}' is not a size; write it like opencl:{ByteSize.Examples.Split(',')[0]}");
    }

    public static string Format(ExpertDeviceOptions options) =>
        options.MemoryBytes is { } bytes ? $"{options.Device}:{bytes}" : options.Device;
}
