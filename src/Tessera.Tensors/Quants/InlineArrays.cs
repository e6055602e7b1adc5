using System.Runtime.CompilerServices;

namespace Tessera.Tensors.Quants;

// Fixed-size arrays embedded in block structs. They index like arrays (`block.Qs[i]`) and convert
// to spans (`ReadOnlySpan<byte> qs = block.Qs;`) without unsafe code.

[InlineArray(12)] public struct Bytes12 { private byte _element; }
[InlineArray(16)] public struct Bytes16 { private byte _element; }
[InlineArray(32)] public struct Bytes32 { private byte _element; }
[InlineArray(64)] public struct Bytes64 { private byte _element; }
[InlineArray(128)] public struct Bytes128 { private byte _element; }
[InlineArray(16)] public struct SBytes16 { private sbyte _element; }
[InlineArray(32)] public struct SBytes32 { private sbyte _element; }
[InlineArray(256)] public struct SBytes256 { private sbyte _element; }
[InlineArray(16)] public struct Int16x16 { private short _element; }
