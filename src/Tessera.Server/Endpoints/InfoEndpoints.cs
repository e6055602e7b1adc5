using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tessera.Server.Api;
using Tessera.Server.Hosting;

namespace Tessera.Server.Endpoints;

/// <summary>GET /health, GET /metrics, GET /v1/models, GET /v1/models/{id}, GET /api/ps.</summary>
internal static class InfoEndpoints
{
    public static async Task HealthAsync(HttpContext http, ServerState state)
    {
        state.RequireModel();
        await WriteJsonAsync(http, JsonSerializer.SerializeToUtf8Bytes(new HealthResponse("ok"), ServerJsonContext.Default.HealthResponse));
    }

    public static async Task MetricsAsync(HttpContext http, ServerState state)
    {
        http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await http.Response.WriteAsync(state.Metrics.Render(state.Model?.Scheduler.Gauges, state.Model?.Context.Plan, state.Model?.Context.ExpertStatistics), http.RequestAborted);
    }

    public static async Task ModelsAsync(HttpContext http, ServerState state)
    {
        var served = state.RequireModel();
        var list = new ModelList("list", [Card(served)]);
        await WriteJsonAsync(http, JsonSerializer.SerializeToUtf8Bytes(list, ServerJsonContext.Default.ModelList));
    }

    public static async Task ModelAsync(HttpContext http, ServerState state, string id)
    {
        var served = state.RequireModel();
        if (id != served.Id)
            throw ApiException.ModelNotFound();
        await WriteJsonAsync(http, JsonSerializer.SerializeToUtf8Bytes(Card(served), ServerJsonContext.Default.ModelCard));
    }

    public static async Task ProcessesAsync(HttpContext http, ServerState state)
    {
        var served = state.RequireModel();
        var gauges = served.Scheduler.Gauges;
        var file = served.Model.File;
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var loaded = new LoadedModel(served.Id, file.Path, file.SplitCount == 1 ? file.FileSize : file.PartPaths.Sum(part => new FileInfo(part).Length),
            PlacementCard.Of(served.Context.Plan).Devices, served.Context.Cache.TotalBytes, gauges.BusySlots, gauges.TotalSlots,
            served.Context.ContextSize, served.Created, Math.Max(0, now - served.Created));
        await WriteJsonAsync(http, JsonSerializer.SerializeToUtf8Bytes(new ProcessList([loaded]), ServerJsonContext.Default.ProcessList));
    }

    private static ModelCard Card(ServedModel served) => new(served.Id, "model", served.Created, "tessera", PlacementCard.Of(served.Context.Plan));

    internal static async Task WriteJsonAsync(HttpContext http, byte[] body)
    {
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }
}
