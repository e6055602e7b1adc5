using System.Text.Json.Serialization;

namespace Tessera.Server.Api;

// Response bodies in OpenAI's shapes. Property names become snake_case through ServerJsonContext; nulls are written
// (OpenAI sends "finish_reason": null, "logprobs": null) except where a field is marked to be left out.

public sealed record ErrorBody(ErrorDetail Error);

public sealed record ErrorDetail(string Message, string Type, string? Param, string? Code);

public sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens, PromptTokensDetails PromptTokensDetails);

public sealed record PromptTokensDetails(int CachedTokens);

public sealed record ChatCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices, Usage Usage);

public sealed record ChatChoice(int Index, AssistantMessage Message, ChatLogprobs? Logprobs, string? FinishReason);

/// <summary>The answer; content is null when the answer is only tool calls (as OpenAI sends it).</summary>
public sealed record AssistantMessage(string Role, string? Content,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ToolCallBody>? ToolCalls = null);

public sealed record ToolCallBody(string Id, string Type, FunctionCallBody Function);

public sealed record FunctionCallBody(string Name, string Arguments);

public sealed record ChatChunk(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage);

public sealed record ChatChunkChoice(int Index, ChatDelta Delta, ChatLogprobs? Logprobs, string? FinishReason);

public sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ToolCallDelta>? ToolCalls = null);

/// <summary>A streamed piece of a call: the first names it (id, type, function name), later ones add argument text.</summary>
public sealed record ToolCallDelta(int Index,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Type,
    FunctionCallDelta Function);

public sealed record FunctionCallDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name,
    string Arguments);

public sealed record ChatLogprobs(IReadOnlyList<ChatTokenLogprob> Content);

public sealed record ChatTokenLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);

public sealed record ChatTopLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes);

public sealed record Completion(string Id, string Object, long Created, string Model, IReadOnlyList<CompletionChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage);

public sealed record CompletionChoice(int Index, string Text, CompletionLogprobs? Logprobs, string? FinishReason);

public sealed record CompletionLogprobs(IReadOnlyList<string> Tokens, IReadOnlyList<float> TokenLogprobs,
    IReadOnlyList<Dictionary<string, float>> TopLogprobs, IReadOnlyList<int> TextOffset);

public sealed record ModelList(string Object, IReadOnlyList<ModelCard> Data);

/// <summary>A model of /v1/models; status ("loaded", "loading", "available", "failed") and placement (null until
/// loaded) are Tessera extensions.</summary>
public sealed record ModelCard(string Id, string Object, long Created, string OwnedBy, string Status, PlacementCard? Placement);

/// <summary>Where the model runs (a Tessera extension of the model object).</summary>
public sealed record PlacementCard(string Request, double? PredictedTokensPerSecond, IReadOnlyList<DevicePlacementCard> Devices, IReadOnlyList<string> Notes)
{
    public static PlacementCard Of(Runtime.Placement.ExecutionPlan plan) => new(plan.Request,
        double.IsFinite(plan.PredictedTokensPerSecond) ? Math.Round(plan.PredictedTokensPerSecond, 2) : null,
        plan.Devices.Select(d => new DevicePlacementCard(d.Name, d.Kind.ToString().ToLowerInvariant(), plan.LayersOn(d),
            plan.WeightBytes.GetValueOrDefault(d), plan.KvBytes.GetValueOrDefault(d))).ToArray(),
        plan.Notes);
}

public sealed record DevicePlacementCard(string Name, string Kind, string Parts, long WeightBytes, long KvBytes);

public sealed record TokenizeResponse(IReadOnlyList<int> Tokens);

public sealed record DetokenizeResponse(string Content);

public sealed record HealthResponse(string Status);

/// <summary>GET /api/ps: what the server has loaded (as Ollama's /api/ps, in our own shape).</summary>
public sealed record ProcessList(IReadOnlyList<LoadedModel> Models, long MemoryBudgetBytes, int MaxLoadedModels);

/// <summary>One loaded model; requests: those holding it now (it is not unloaded while any do).</summary>
public sealed record LoadedModel(string Id, string Path, long SizeBytes, IReadOnlyList<DevicePlacementCard> Devices, long KvCacheBytes,
    int SlotsBusy, int SlotsTotal, int ContextSize, long LoadedAt, long UptimeSeconds, int Requests);
