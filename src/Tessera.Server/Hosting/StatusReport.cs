using System.Text.Json;

namespace Tessera.Server.Hosting;

/// <summary>
/// The body of `GET /v1/status`: one JSON object whose sections parts of the server add (`alerts` from the alert
/// monitor; more, such as a degradation report, can join with <see cref="AddSection"/>). Each section writes its own
/// value, so the report needs no knowledge of what they hold.
/// </summary>
public sealed class StatusReport
{
    private readonly List<(string Name, Action<Utf8JsonWriter> Write)> _sections = [];
    private readonly object _gate = new();

    /// <param name="write">writes the section's value (an object or array) when the status is asked for</param>
    public void AddSection(string name, Action<Utf8JsonWriter> write)
    {
        lock (_gate)
        {
            if (_sections.Any(section => section.Name == name))
                throw new ArgumentException($"the status already has a section '{name}'", nameof(name));
            _sections.Add((name, write));
        }
    }

    public byte[] Render()
    {
        (string Name, Action<Utf8JsonWriter> Write)[] sections;
        lock (_gate)
            sections = [.. _sections];
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, write) in sections)
            {
                writer.WritePropertyName(name);
                write(writer);
            }
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
