using System.Diagnostics.CodeAnalysis;

namespace Tessera.Gguf;

/// <summary>Facts about each <see cref="GgufValueType"/>: its name, stored size and CLR type.</summary>
public static class GgufValueTypes
{
    public static bool IsDefined(uint id) => id <= (uint)GgufValueType.Float64;

    public static bool IsInteger(GgufValueType type) => type is GgufValueType.UInt8 or GgufValueType.Int8
        or GgufValueType.UInt16 or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32
        or GgufValueType.UInt64 or GgufValueType.Int64;

    /// <summary>Lower-case name used in error messages, e.g. "uint8", "float32".</summary>
    public static string Name(GgufValueType type) => IsDefined((uint)type) ? type.ToString().ToLowerInvariant() : $"type {(uint)type}";

    /// <summary>
    /// Smallest number of bytes one value of this type takes in a file: the fixed size of scalars,
    /// the 8-byte length of a string, and for an array its element type and count headers.
    /// Used to reject counts that cannot fit in the bytes that remain.
    /// </summary>
    public static int MinStoredSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
        GgufValueType.Array => 4 + 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown GGUF value type"),
    };

    /// <summary>The value type whose CLR form is <paramref name="clrType"/> (an array type gives Array).</summary>
    public static bool TryFromClr(Type clrType, out GgufValueType type, [NotNullWhen(true)] out GgufValueType? elementType)
    {
        elementType = null;
        if (clrType.IsArray && clrType.GetElementType() is { } element && TryScalarFromClr(element, out var e) && e != GgufValueType.Array)
        {
            type = GgufValueType.Array;
            elementType = e;
            return true;
        }
        type = default;
        return false;
    }

    /// <summary>The scalar value type whose CLR form is <paramref name="clrType"/>.</summary>
    public static bool TryScalarFromClr(Type clrType, out GgufValueType type)
    {
        GgufValueType? found = Type.GetTypeCode(clrType) switch
        {
            TypeCode.Byte => GgufValueType.UInt8,
            TypeCode.SByte => GgufValueType.Int8,
            TypeCode.UInt16 => GgufValueType.UInt16,
            TypeCode.Int16 => GgufValueType.Int16,
            TypeCode.UInt32 => GgufValueType.UInt32,
            TypeCode.Int32 => GgufValueType.Int32,
            TypeCode.Single => GgufValueType.Float32,
            TypeCode.Boolean => GgufValueType.Bool,
            TypeCode.String => GgufValueType.String,
            TypeCode.UInt64 => GgufValueType.UInt64,
            TypeCode.Int64 => GgufValueType.Int64,
            TypeCode.Double => GgufValueType.Float64,
            _ => null,
        };
        type = found ?? default;
        return found is not null && !clrType.IsEnum;
    }
}
