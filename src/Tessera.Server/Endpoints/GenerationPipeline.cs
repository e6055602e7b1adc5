using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Tessera.Server.Api;
using Tessera.Server.Hosting;
using Tessera.Server.Scheduling;

namespace Tessera.Server.Endpoints;

/// <summary>
/// Runs the choices of one request through the scheduler and answers with one JSON object or an SSE stream. The
/// request's jobs share one cancellation: the client going away, the request timing out or the handler ending stops
/// them all, so their slots are free by the next step.
/// </summary>
internal static class GenerationPipeline
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Suggested wait after a 503 for a full queue: about one short generation.</summary>
    private const int RetryAfterSeconds = 1;

    public static async Task RunAsync(HttpContext http, ServerState state, ServedModel served, IReadOnlyList<int[]> prompts,
        GenerationSettings settings, IResponseFormat format, string promptParam)
    {
        state.Shedding.ThrowIfRejecting();
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var scheduler = served.Scheduler;
        int choices = prompts.Count * settings.ChoiceCount;
        if (choices > RequestLimits.MaxChoicesPerRequest || choices > scheduler.SlotCount + scheduler.MaxQueue)
            throw ApiException.BadRequest("n", $"The request asks for {choices} choices; this server runs at most {Math.Min(RequestLimits.MaxChoicesPerRequest, scheduler.SlotCount + scheduler.MaxQueue)} per request.");
        var maxTokens = prompts.Select(prompt => PromptTokens.MaxTokensFor(prompt.Length, settings.MaxTokens, scheduler.ContextSize, promptParam)).ToArray();
        if (state.Shedding.MaxTokensCap is { } cap)
            maxTokens = maxTokens.Select(tokens => Math.Min(tokens, cap)).ToArray();

        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        cancellation.CancelAfter(state.Live.RequestTimeout);
        var channel = Channel.CreateUnbounded<JobEvent>(new UnboundedChannelOptions { SingleReader = true });
        var jobs = new List<GenerationJob>(choices);
        for (int p = 0; p < prompts.Count; p++)
        {
            for (int c = 0; c < settings.ChoiceCount; c++)
            {
                // Choices of one prompt differ by seed (seed + c) so a seeded request stays reproducible.
                var sampling = settings.Sampling.Seed is { } seed ? settings.Sampling with { Seed = seed + (ulong)c } : settings.Sampling;
                jobs.Add(new GenerationJob(p * settings.ChoiceCount + c, prompts[p], sampling, maxTokens[p], settings.Stop,
                    settings.TopLogprobs, settings.Logprobs, channel.Writer, cancellation.Token)
                {
                    Grammar = settings.Grammar, CachePrompt = settings.CachePrompt, KvType = state.Shedding.KvType,
                });
            }
        }
        if (!scheduler.TrySubmit(jobs))
            throw ApiException.Overloaded(RetryAfterSeconds);
        try
        {
            var states = Enumerable.Range(0, choices).Select(index => new ChoiceState(index)).ToList();
            if (settings.Stream)
                await StreamAsync(http, channel.Reader, states, settings, format, prompts.Sum(prompt => prompt.Length));
            else
                await RespondAsync(http, channel.Reader, states, format, prompts.Sum(prompt => prompt.Length));
        }
        finally
        {
            // Whatever ended the handler (done, error, client gone), jobs still running must free their slots.
            await cancellation.CancelAsync();
            state.Metrics.GenerationRequests.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static async Task RespondAsync(HttpContext http, ChannelReader<JobEvent> events, List<ChoiceState> states,
        IResponseFormat format, int promptTokens)
    {
        int finished = 0;
        while (finished < states.Count)
        {
            var next = await events.ReadAsync();
            var state = states[next.ChoiceIndex];
            switch (next)
            {
                case TokenGenerated token:
                    state.Text.Append(token.Text);
                    state.Tokens.Add(token);
                    break;
                case JobFinished done:
                    state.Text.Append(done.FinalText);
                    state.Finished = done;
                    finished++;
                    if (done.Reason == StopReason.Cancelled)
                        throw Interrupted(http);
                    break;
                case JobFailed failed:
                    throw new ApiException(500, failed.Message, null, "generation_failed", "server_error");
            }
        }
        byte[] body = format.Response(states, MakeUsage(states, promptTokens));
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }

    private static async Task StreamAsync(HttpContext http, ChannelReader<JobEvent> events, List<ChoiceState> states,
        GenerationSettings settings, IResponseFormat format, int promptTokens)
    {
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        // Events go into the response pipe and are sent by one flush once no other event is waiting: one chunk per
        // step rather than a chunk and a send for each piece of each event.
        var body = response.BodyWriter;
        var aborted = http.RequestAborted;
        try
        {
            foreach (var state in states)
            {
                if (format.Opening(state.Index) is { } opening)
                    WriteEvent(body, opening);
            }
            await body.FlushAsync(aborted);
            int finished = 0;
            while (finished < states.Count)
            {
                var next = await events.ReadAsync(aborted);
                var state = states[next.ChoiceIndex];
                switch (next)
                {
                    case TokenGenerated token:
                        state.Tokens.Add(token);
                        if ((token.Text.Length > 0 || token.Logprobs is not null) && format.Delta(state.Index, token.Text, settings.Logprobs ? token : null) is { } delta)
                            WriteEvent(body, delta);
                        break;
                    case JobFinished done:
                        state.Finished = done;
                        finished++;
                        if (done.Reason == StopReason.Cancelled)
                            throw Interrupted(http);
                        if (done.FinalText.Length > 0 && format.Delta(state.Index, done.FinalText, null) is { } last)
                            WriteEvent(body, last);
                        foreach (byte[] chunk in format.Finish(state.Index, state.FinishReason!))
                            WriteEvent(body, chunk);
                        break;
                    case JobFailed failed:
                        throw new ApiException(500, failed.Message, null, "generation_failed", "server_error");
                }
                if (!events.TryPeek(out _))
                    await body.FlushAsync(aborted);
            }
            if (settings.IncludeUsage)
                WriteEvent(body, format.UsageChunk(MakeUsage(states, promptTokens)));
            body.Write(Done);
            await body.FlushAsync(aborted);
        }
        catch (ApiException error) when (!aborted.IsCancellationRequested)
        {
            // The status line is gone; the error becomes the stream's one terminal event.
            WriteEvent(body, ErrorResponses.Body(error));
            await body.FlushAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && aborted.IsCancellationRequested)
        {
            // The client went away: nothing more to say; the caller cancels the jobs.
        }
    }

    /// <summary>Appends one SSE event to the response pipe; nothing is sent until the next flush.</summary>
    private static void WriteEvent(PipeWriter body, byte[] json)
    {
        body.Write(DataPrefix);
        body.Write(json);
        body.Write(EventEnd);
    }

    /// <summary>A cancelled choice: the client is gone (nothing will be sent) or the request ran out of time.</summary>
    private static Exception Interrupted(HttpContext http) => http.RequestAborted.IsCancellationRequested
        ? new OperationCanceledException(http.RequestAborted)
        : new ApiException(504, "The request took longer than the server's request timeout.", null, "timeout", "server_error");

    /// <summary>Prompt tokens count once per prompt, not once per choice.</summary>
    private static Usage MakeUsage(List<ChoiceState> states, int promptTokens)
    {
        int completion = states.Sum(state => state.Finished?.CompletionTokens ?? 0);
        int cached = states.Max(state => state.Finished?.CachedPromptTokens ?? 0);
        return new Usage(promptTokens, completion, promptTokens + completion, new PromptTokensDetails(cached));
    }
}
