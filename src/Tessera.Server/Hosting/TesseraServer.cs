using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tessera.Server.Api;
using Tessera.Server.Endpoints;

namespace Tessera.Server.Hosting;

/// <summary>
/// The OpenAI-compatible HTTP server: Kestrel with minimal APIs, listening at once and loading the model in the
/// default model in the background (/health answers 503 until it is ready; other models load on first use). <see cref="StartAsync"/> returns once it listens;
/// <see cref="Ready"/> completes when the model has loaded. Disposing stops it gracefully and frees the model.
/// </summary>
public sealed class TesseraServer : IAsyncDisposable
{
    /// <summary>Kestrel limits: headers of a normal API call are a few hundred bytes; clients that send headers
    /// slowly or keep idle connections hold resources.</summary>
    private const int MaxHeaderBytes = 32 << 10;
    private const int MaxConnections = 1024;
    private static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Time running requests get to finish after SIGTERM before they are cancelled.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly ServerState _state;

    private TesseraServer(WebApplication app, ServerState state, Uri baseAddress)
    {
        _app = app;
        _state = state;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the server listens, with the actual port when port 0 was asked for.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Completes when the default model is loaded; faults when it cannot be.</summary>
    public Task Ready => _state.Loaded;

    public ServerState State => _state;

    public static async Task<TesseraServer> StartAsync(ServerOptions options, CancellationToken cancellation = default)
    {
        options.Validate();
        var address = ParseHost(options.Host);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (options.ConsoleLogging)
        {
            // Startup, shutdown and failures; one line per request would drown them.
            builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        }
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, options.Port);
            kestrel.Limits.MaxRequestBodySize = RequestLimits.MaxBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = MaxHeaderBytes;
            kestrel.Limits.MaxConcurrentConnections = MaxConnections;
            kestrel.Limits.RequestHeadersTimeout = HeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = KeepAliveTimeout;
        });
        if (options.CorsOrigins.Count > 0)
            builder.Services.AddCors();

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Tessera.Server");
        var state = new ServerState(options, message => logger.LogWarning("{Message}", message));
        if (options.CorsOrigins.Count > 0)
            app.UseCors(cors => cors.WithOrigins([.. options.CorsOrigins]).WithMethods("GET", "POST").AllowAnyHeader());
        var pipeline = new RequestPipeline(state, new AccessGuard(options), logger);
        app.Use(pipeline.InvokeAsync);
        MapEndpoints(app, state);
        app.Lifetime.ApplicationStopped.Register(state.Dispose);

        await app.StartAsync(cancellation);
        var listening = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        state.StartLoading();
        return new TesseraServer(app, state, new Uri(listening.Replace("[::]", "localhost", StringComparison.Ordinal)));
    }

    private static void MapEndpoints(WebApplication app, ServerState state)
    {
        app.MapPost("/v1/chat/completions", (HttpContext http) => CompletionEndpoints.ChatAsync(http, state));
        app.MapPost("/v1/completions", (HttpContext http) => CompletionEndpoints.CompletionAsync(http, state));
        app.MapPost("/v1/embeddings", (HttpContext http) => EmbeddingEndpoints.EmbedAsync(http, state));
        app.MapGet("/v1/models", (HttpContext http) => InfoEndpoints.ModelsAsync(http, state));
        app.MapGet("/v1/models/{id}", (HttpContext http, string id) => InfoEndpoints.ModelAsync(http, state, id));
        app.MapGet(AccessGuard.ChatPagePath, ChatPage.ServeAsync);
        app.MapGet("/api/ps", (HttpContext http) => InfoEndpoints.ProcessesAsync(http, state));
        app.MapPost("/tokenize", (HttpContext http) => TokenizeEndpoints.TokenizeAsync(http, state));
        app.MapPost("/detokenize", (HttpContext http) => TokenizeEndpoints.DetokenizeAsync(http, state));
        app.MapGet(AccessGuard.PublicPath, (HttpContext http) => InfoEndpoints.HealthAsync(http, state));
        app.MapGet("/metrics", (HttpContext http) => InfoEndpoints.MetricsAsync(http, state));
        app.MapGet("/v1/status", (HttpContext http) => InfoEndpoints.StatusAsync(http, state));
        app.MapFallback(RequestPipeline.NotFoundAsync);
    }

    internal static IPAddress ParseHost(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return IPAddress.Loopback;
        if (IPAddress.TryParse(host, out var address))
            return address;
        throw new ArgumentException($"the host must be an IP address or localhost, not '{host}'", nameof(host));
    }

    /// <summary>Completes when the server stops (SIGTERM, Ctrl+C or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation = default) => _app.WaitForShutdownAsync(cancellation);

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _state.Dispose();
    }
}
