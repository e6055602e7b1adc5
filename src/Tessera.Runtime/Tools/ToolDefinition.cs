using System.Text.Json;

namespace Tessera.Runtime.Tools;

/// <summary>A function the model may call: its name, what it does, and the JSON schema of its arguments (null: any object).</summary>
public sealed record ToolDefinition(string Name, string? Description, JsonElement? Parameters);
