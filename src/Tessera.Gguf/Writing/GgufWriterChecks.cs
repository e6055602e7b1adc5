using System.Text;
using Tessera.Tensors;

namespace Tessera.Gguf.Writing;

/// <summary>
/// The writer's argument checks: they mirror what the reader validates, so bad input fails when it
/// is added (naming the key or tensor) instead of producing a file nobody can open.
/// </summary>
internal static class GgufWriterChecks
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static void CheckAlignment(uint alignment)
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw new ArgumentException($"alignment {alignment} is not a power of two", nameof(alignment));
    }

    public static void CheckEntry(GgufMetadataEntry entry)
    {
        var key = entry.Key;
        CheckText(key, GgufLimits.MaxKeyBytes, $"metadata key '{key}'", nameof(entry));
        if (!GgufValueTypes.IsDefined((uint)entry.Type))
            throw new ArgumentException($"metadata '{key}': value type {(uint)entry.Type} is unknown", nameof(entry));

        if (entry.Type == GgufValueType.Array)
        {
            if (entry.ElementType is not { } elementType
                || !GgufValueTypes.TryFromClr(entry.Value.GetType(), out _, out var actual) || actual != elementType)
                throw new ArgumentException($"metadata '{key}': {entry.Value.GetType().Name} does not match array of {entry.ElementType}", nameof(entry));
            var array = (Array)entry.Value;
            if (array.Length > GgufLimits.MaxArrayLength)
                throw new ArgumentException($"metadata '{key}': {array.Length} elements exceed the limit of {GgufLimits.MaxArrayLength}", nameof(entry));
            if (array is string[] strings)
            {
                foreach (var s in strings)
                    CheckString(key, s);
            }
            return;
        }

        if (entry.ElementType is not null
            || !GgufValueTypes.TryScalarFromClr(entry.Value.GetType(), out var scalar) || scalar != entry.Type)
            throw new ArgumentException($"metadata '{key}': {entry.Value.GetType().Name} value does not match type {entry.Type}", nameof(entry));
        if (entry.Value is string text)
            CheckString(key, text);
        if (key == GgufKeys.Alignment)
        {
            if (entry.Value is not uint alignment)
                throw new ArgumentException($"metadata '{key}' must be uint32, not {entry.TypeName}", nameof(entry));
            CheckAlignment(alignment);
        }
    }

    /// <summary>Validates a tensor and returns its byte size.</summary>
    public static long CheckTensor(string name, GgmlType type, long[] dimensions, IReadOnlySet<string> existingNames)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        CheckText(name, GgufLimits.MaxTensorNameBytes, $"tensor name '{name}'", nameof(name));
        if (existingNames.Contains(name))
            throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        if (!GgmlTypeTraits.IsKnown(type))
            throw new ArgumentException($"tensor '{name}': type id {(uint)type} is unknown", nameof(type));
        if (dimensions.Length is 0 or > GgufLimits.MaxDimensions)
            throw new ArgumentException($"tensor '{name}': {dimensions.Length} dimensions, expected 1..{GgufLimits.MaxDimensions}", nameof(dimensions));

        var traits = GgmlTypeTraits.Of(type);
        if (dimensions.Any(d => d < 0) || dimensions[0] % traits.BlockSize != 0)
            throw new ArgumentException(
                $"tensor '{name}': dims [{string.Join(", ", dimensions)}] must be >= 0 with a row length that is a multiple of {traits.BlockSize} ({traits.Name})",
                nameof(dimensions));
        try
        {
            var elements = dimensions.Aggregate(1L, (product, d) => checked(product * d));
            return traits.BytesFor(elements);
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"tensor '{name}': size of dims [{string.Join(", ", dimensions)}] overflows int64", nameof(dimensions));
        }
    }

    private static void CheckString(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value, key);
        if (Utf8Length(value, $"metadata '{key}'", "value") > GgufLimits.MaxStringBytes)
            throw new ArgumentException($"metadata '{key}': a string exceeds the limit of {GgufLimits.MaxStringBytes} bytes", "value");
    }

    private static void CheckText(string text, int maxBytes, string what, string parameter)
    {
        ArgumentNullException.ThrowIfNull(text, parameter);
        var bytes = Utf8Length(text, what, parameter);
        if (bytes == 0 || bytes > maxBytes)
            throw new ArgumentException($"{what} is {bytes} UTF-8 bytes long, expected 1..{maxBytes}", parameter);
    }

    private static long Utf8Length(string text, string what, string parameter)
    {
        try
        {
            return StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException($"{what} is not valid Unicode (lone surrogate)", parameter);
        }
    }
}
