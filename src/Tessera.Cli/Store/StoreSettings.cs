namespace Tessera.Cli.Store;

/// <summary>
/// Where the model store lives and how pulls talk to the hub. Read from the environment (TESSERA_MODELS, HF_ENDPOINT,
/// HF_TOKEN); tests install their own with <see cref="Use"/>, which is scoped to the calling async flow so test classes
/// running in parallel never see each other's settings.
/// </summary>
public sealed record StoreSettings
{
    public const string ModelsVariable = "TESSERA_MODELS";
    public const string EndpointVariable = "HF_ENDPOINT";
    public const string TokenVariable = "HF_TOKEN";
    public const string DefaultEndpoint = "https://huggingface.co";

    public required string ModelsRoot { get; init; }
    public string Endpoint { get; init; } = DefaultEndpoint;
    public string? Token { get; init; }

    /// <summary>Retries after a transient error (connection reset, timeout, 5xx, 429) before a pull gives up.</summary>
    public int Retries { get; init; } = 5;
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(0.2);

    /// <summary>How long a pull waits for another pull of the same model to finish.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a read of the response body may stall before it counts as a transient error.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    private static readonly AsyncLocal<StoreSettings?> Override = new();

    public static StoreSettings Current => Override.Value ?? FromEnvironment();

    public static StoreSettings FromEnvironment()
    {
        string? root = Environment.GetEnvironmentVariable(ModelsVariable);
        if (string.IsNullOrWhiteSpace(root))
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".tessera", "models");
        string? endpoint = Environment.GetEnvironmentVariable(EndpointVariable);
        string? token = Environment.GetEnvironmentVariable(TokenVariable);
        return new StoreSettings
        {
            ModelsRoot = root,
            Endpoint = string.IsNullOrWhiteSpace(endpoint) ? DefaultEndpoint : endpoint.TrimEnd('/'),
            Token = string.IsNullOrWhiteSpace(token) ? null : token,
        };
    }

    /// <summary>Makes <paramref name="settings"/> current for this async flow until the result is disposed.</summary>
    public static IDisposable Use(StoreSettings settings)
    {
        var previous = Override.Value;
        Override.Value = settings;
        return new Restore(previous);
    }

    private sealed class Restore(StoreSettings? previous) : IDisposable
    {
        public void Dispose() => Override.Value = previous;
    }
}
