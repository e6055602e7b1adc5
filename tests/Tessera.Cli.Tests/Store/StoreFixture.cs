using System.Diagnostics;
using Tessera.Cli.Store;
using Tessera.Testing;

namespace Tessera.Cli.Tests.Store;

/// <summary>
/// A fake hub and an empty store folder for one test, installed with <see cref="StoreSettings.Use"/> so in-process
/// commands see them without touching the process environment (test classes run in parallel).
/// </summary>
public sealed class StoreFixture : IDisposable
{
    public static readonly byte[] Stories = File.ReadAllBytes(SharedData.Model("stories260K.gguf"));
    public static readonly byte[] Qwen = File.ReadAllBytes(SharedData.Model("syn-qwen2-Q8_0.gguf"));

    private readonly IDisposable _settings;
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("tessera-store-test-");

    public StoreFixture(int retries = 3)
    {
        // The store sits two levels down, so a '../../x.gguf' escape would land inside the temp folder where we can see it.
        Root = Path.Combine(_temp.FullName, "a", "models");
        Settings = new StoreSettings
        {
            ModelsRoot = Root,
            Endpoint = Hub.Endpoint,
            Retries = retries,
            FirstRetryDelay = TimeSpan.FromMilliseconds(10),
            LockTimeout = TimeSpan.Zero,
            ReadTimeout = TimeSpan.FromSeconds(20),
        };
        _settings = StoreSettings.Use(Settings);
    }

    public FakeHub Hub { get; } = new();
    public string Root { get; }
    public string TempFolder => _temp.FullName;
    public StoreSettings Settings { get; }

    /// <summary>Model folders now in the store (none when the store folder was never created).</summary>
    public string[] Folders => Directory.Exists(Root) ? Directory.GetDirectories(Root).Select(d => Path.GetFileName(d)).Order().ToArray() : [];

    public string FolderPath(string folder) => Path.Combine(Root, folder);

    /// <summary>Runs the built `tessera` executable with the hub and store given in its environment only.</summary>
    public CliResult Tessera(params string[] args) => CliRunner.RunExecutable(Environment, args);

    /// <summary>Starts the built `tessera` executable as <see cref="Tessera"/> does, without waiting for it.</summary>
    public Process StartTessera(params string[] args) => CliRunner.StartExecutable(Environment, args);

    private Dictionary<string, string?> Environment => new()
    {
        [StoreSettings.EndpointVariable] = Hub.Endpoint,
        [StoreSettings.ModelsVariable] = Root,
        [StoreSettings.TokenVariable] = null,
    };

    public void Dispose()
    {
        _settings.Dispose();
        Hub.Dispose();
        try { _temp.Delete(recursive: true); } catch (IOException) { }
    }
}
