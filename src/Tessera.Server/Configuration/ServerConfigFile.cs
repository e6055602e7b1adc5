using Tessera.Server.Hosting;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Tessera.Server.Configuration;

/// <summary>
/// Reads `tessera.yaml`: sections of snake_case keys (<see cref="ConfigKeys"/>). Every mistake is reported with its key
/// path and line, all of them at once: YAML syntax, unknown sections and keys (with the nearest known name), values
/// of the wrong type or range; then the values are laid over the defaults and <see cref="ServerOptions.Validate"/>
/// checks how they fit together, its complaint mapped back to the key.
/// </summary>
public static class ServerConfigFile
{
    private const string VersionKey = "version";

    /// <summary>Reads and validates the file; a missing or unreadable file is an <see cref="IOException"/>.</summary>
    public static ServerConfig Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses and validates <paramref name="text"/>; throws <see cref="ConfigException"/> with every error found.</summary>
    public static ServerConfig Parse(string text, string source)
    {
        var errors = new List<ConfigError>();
        var entries = new List<ConfigEntry>();
        if (ReadRoot(text, errors) is { } root)
            ReadSections(root, entries, errors);
        if (errors.Count > 0)
            throw new ConfigException(source, errors);
        var config = new ServerConfig(source, text, entries);
        if (ValidationError(config.ApplyTo(ServerConfig.Defaults), config) is { } invalid)
            throw new ConfigException(source, [invalid]);
        return config;
    }

    /// <summary>The error <see cref="ServerOptions.Validate"/> finds in <paramref name="options"/>, named by the key of
    /// <paramref name="config"/> that sets the culprit (line 0 when the file leaves it out), or null.</summary>
    public static ConfigError? ValidationError(ServerOptions options, ServerConfig config)
    {
        try
        {
            options.Validate();
            TesseraServer.ParseHost(options.Host);
            return null;
        }
        catch (ArgumentException e)
        {
            // Validate names the property; the file's key (and its line) is what the user can find.
            var key = e.ParamName == "host" ? ConfigKeys.Host : ConfigKeys.All.FirstOrDefault(k => k.Property == e.ParamName);
            string message = e.Message.Split(" (Parameter '")[0];
            return new ConfigError(key?.Path, key is null ? 0 : config.LineOf(key), message);
        }
    }

    private static YamlMappingNode? ReadRoot(string text, List<ConfigError> errors)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            errors.Add(new ConfigError(null, (int)e.Start.Line, Describe(e)));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way when the text ends inside a flow list or mapping.
            errors.Add(new ConfigError(null, text.TrimEnd('\n').Split('\n').Length, "the file ends inside an unclosed [ list ] or { mapping }"));
            return null;
        }
        if (stream.Documents.Count == 0 || ConfigValues.IsNull(stream.Documents[0].RootNode))
            return null;
        if (stream.Documents.Count > 1)
            errors.Add(new ConfigError(null, Line(stream.Documents[1].RootNode), "a config file holds one YAML document"));
        if (stream.Documents[0].RootNode is YamlMappingNode root)
            return root;
        errors.Add(new ConfigError(null, Line(stream.Documents[0].RootNode), "the file must be a mapping of sections (model:, server:, ...)"));
        return null;
    }

    private static void ReadSections(YamlMappingNode root, List<ConfigEntry> entries, List<ConfigError> errors)
    {
        foreach (var (keyNode, value) in root.Children)
        {
            string name = Name(keyNode);
            if (name == VersionKey)
                CheckVersion(value, errors);
            else if (!ConfigKeys.Sections.Contains(name))
                errors.Add(Unknown(name, "unknown section", keyNode, [.. ConfigKeys.Sections, VersionKey], ConfigKeys.Sections));
            else if (value is YamlMappingNode section)
                ReadKeys(name, section, entries, errors);
            else if (!ConfigValues.IsNull(value))
                errors.Add(new ConfigError(name, Line(value), $"expected a mapping of keys ({string.Join(", ", ConfigKeys.All.Where(k => k.Section == name).Select(k => k.Name))})"));
        }
    }

    private static void ReadKeys(string section, YamlMappingNode mapping, List<ConfigEntry> entries, List<ConfigError> errors)
    {
        var known = ConfigKeys.All.Where(key => key.Section == section).ToArray();
        foreach (var (keyNode, value) in mapping.Children)
        {
            string name = Name(keyNode);
            string path = $"{section}.{name}";
            if (known.FirstOrDefault(key => key.Name == name) is not { } key)
            {
                errors.Add(Unknown(path, "unknown key", keyNode, known.Select(k => k.Name), known.Select(k => k.Name)));
                continue;
            }
            if (ConfigValues.IsNull(value))
                continue;
            try
            {
                entries.Add(new ConfigEntry(key, key.Read(value), Line(keyNode)));
            }
            catch (FormatException e)
            {
                errors.Add(new ConfigError(path, Line(value), e.Message));
            }
        }
    }

    private static void CheckVersion(YamlNode value, List<ConfigError> errors)
    {
        if (value is not YamlScalarNode { Value: { } text } || text != ConfigKeys.FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
            errors.Add(new ConfigError(VersionKey, Line(value), $"this tessera reads config version {ConfigKeys.FormatVersion}"));
    }

    /// <summary>An unknown name: its error carries the path (so the line and key can be found) and the nearest known name.</summary>
    private static ConfigError Unknown(string path, string message, YamlNode node, IEnumerable<string> candidates, IEnumerable<string> listed)
    {
        string name = path[(path.LastIndexOf('.') + 1)..];
        string hint = NearestName.Find(name, candidates) is { } nearest ? $"; did you mean '{nearest}'?" : $" (known: {string.Join(", ", listed)})";
        return new ConfigError(path, Line(node), message + hint);
    }

    private static string Name(YamlNode key) => key is YamlScalarNode { Value: { } value } ? value : key.ToString();

    private static int Line(YamlNode node) => (int)node.Start.Line;

    /// <summary>YamlDotNet's message without its own "(Line: .., Col: ..)" prefix, which the error's line replaces.</summary>
    private static string Describe(YamlException e)
    {
        string message = e.InnerException is YamlException inner ? inner.Message : e.Message;
        int close = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && close > 0 ? message[(close + 3)..] : message;
    }
}
