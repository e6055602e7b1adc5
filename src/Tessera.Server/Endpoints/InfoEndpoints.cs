using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tessera.Server.Api;
using Tessera.Server.Hosting;
using Tessera.Server.Metrics;

namespace Tessera.Server.Endpoints;

/// <summary>GET /health, GET /metrics, GET /v1/status, GET /v1/models, GET /v1/models/{id}, GET /api/ps.</summary>
internal static class InfoEndpoints
{
    public static async Task HealthAsync(HttpContext http, ServerState state)
    {
        state.RequireReady();
        await WriteJsonAsync(http, JsonSerializer.SerializeToUtf8Bytes(new HealthResponse("ok"), ServerJsonContext.Default.HealthResponse));
    }

    public static async Task MetricsAsync(HttpContext http, ServerState state)
    {
        http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        var loaded = state.Models.LoadedModels().Where(model => model.CanGenerate).ToArray();
        var first = loaded.FirstOrDefault();
        string text = state.Metrics.Render(SchedulerGauges.Sum(loaded.Select(model => model.Scheduler.Gauges)), first?.Context.Plan,
            first?.Context.ExpertStatistics, first?.Context.ExpertTier, first?.Context.DeviceExperts) + PoolMetrics.Render(state.Models) + Alerts.AlertReport.Metrics(state.Alerts.States)
            + state.Shedding.RenderMetrics();
        await http.Response.WriteAsync(text, http.RequestAborted);
    }

    /// <summary>The server's condition beyond liveness: each alert rule's state (and whatever other sections add).</summary>
    public static Task StatusAsync(HttpContext http, ServerState state) => WriteJsonAsync(http, state.Status.Render());

    /// <summary>Every model the server can answer with, loaded or not (OpenAI's list, with status and placement added).</summary>
    public static async Task ModelsAsync(HttpContext http, ServerState state)
    {
        var list = new ModelList("list", state.Models.Statuses().Select(Card).ToArray());
        await WriteJsonAsync(http, JsonSerializer.SerializeToUtf8Bytes(list, ServerJsonContext.Default.ModelList));
    }

    public static async Task ModelAsync(HttpContext http, ServerState state, string id)
    {
        var status = state.Models.Statuses().FirstOrDefault(model => model.Source.Id == id) ?? throw ApiException.ModelNotFound();
        await WriteJsonAsync(http, JsonSerializer.SerializeToUtf8Bytes(Card(status), ServerJsonContext.Default.ModelCard));
    }

    /// <summary>The loaded models (as Ollama's /api/ps); 503 until the default model has loaded.</summary>
    public static async Task ProcessesAsync(HttpContext http, ServerState state)
    {
        state.RequireReady();
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var loaded = state.Models.Statuses().Where(status => status.Model is not null).Select(status =>
        {
            var served = status.Model!;
            if (!served.CanGenerate)
                return new LoadedModel(served.Id, served.File.Path, served.FileBytes, [], 0, 0, 0, served.Embedder.MaxInputTokens, served.Created,
                    Math.Max(0, now - served.Created), status.Leases);
            var gauges = served.Scheduler.Gauges;
            return new LoadedModel(served.Id, served.Model.File.Path, served.FileBytes, PlacementCard.Of(served.Context.Plan).Devices,
                served.Context.Cache.TotalBytes, gauges.BusySlots, gauges.TotalSlots, served.Context.ContextSize, served.Created,
                Math.Max(0, now - served.Created), status.Leases);
        }).ToArray();
        var list = new ProcessList(loaded, state.Models.MemoryBudget, state.Options.MaxLoadedModels);
        await WriteJsonAsync(http, JsonSerializer.SerializeToUtf8Bytes(list, ServerJsonContext.Default.ProcessList));
    }

    private static ModelCard Card(ModelStatus status) => status.Model is { } served
        ? new(served.Id, "model", served.Created, "tessera", status.State, served.Plan is { } plan ? PlacementCard.Of(plan) : null)
        : new(status.Source.Id, "model", FileCreated(status.Source.Path), "tessera", status.State, null);

    private static long FileCreated(string path) =>
        File.Exists(path) ? new DateTimeOffset(File.GetLastWriteTimeUtc(path)).ToUnixTimeSeconds() : 0;

    internal static async Task WriteJsonAsync(HttpContext http, byte[] body)
    {
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }
}
