using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using Tessera.Runtime.Grammars;
using Tessera.Runtime.Tools;
using Tessera.Server.Api;
using Tessera.Server.Scheduling;

namespace Tessera;

/// <summary>
/// <see cref="IChatClient"/> on a <see cref="TesseraModel"/>: the conversation is rendered by the model's chat template
/// and tokenized exactly as the server does, and runs as a job of the model's scheduler, so concurrent callers share
/// its batched steps. Options: temperature, top-p, top-k, max output tokens, stop sequences, seed, penalties,
/// <see cref="ChatResponseFormat.Json"/> (with or without a schema), and tools (<see cref="AIFunction"/>), whose calls
/// come back as <see cref="FunctionCallContent"/> so <c>FunctionInvokingChatClient</c> can run a tool loop.
/// </summary>
internal sealed class TesseraChatClient(TesseraModel model) : IChatClient
{
    /// <summary>How long to wait before asking a full scheduler again.</summary>
    private static readonly TimeSpan QueueRetry = TimeSpan.FromMilliseconds(20);

    private readonly ChatClientMetadata _metadata = new("tessera", null, model.Id);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var run = await StartAsync(messages, options, cancellationToken);
        var text = new StringBuilder();
        JobFinished finished = await run.ReadAsync(piece => text.Append(piece), cancellationToken);
        var message = new ChatMessage(ChatRole.Assistant, []);
        var reason = FinishReasonOf(finished);
        var parsed = run.CallFormat?.Parse(text.ToString()) ?? new ToolCallParse(text.ToString(), []);
        if (parsed.Content.Length > 0 || parsed.Calls.Count == 0)
            message.Contents.Add(new TextContent(parsed.Content));
        foreach (var call in parsed.Allowed(run.Parallel))
        {
            message.Contents.Add(new FunctionCallContent(call.Id, call.Name, ChatConversation.Arguments(call.Arguments)));
            reason = ChatFinishReason.ToolCalls;
        }
        return new ChatResponse(message)
        {
            ModelId = model.Id,
            FinishReason = reason,
            CreatedAt = DateTimeOffset.UtcNow,
            Usage = Usage(finished),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // A caller that stops reading early ends the job too, so its slot is free by the next step.
        using var stopped = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await foreach (var update in StreamAsync(messages, options, stopped.Token))
                yield return update;
        }
        finally
        {
            await stopped.CancelAsync();
        }
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(IEnumerable<ChatMessage> messages, ChatOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var run = await StartAsync(messages, options, cancellationToken);
        string responseId = Guid.NewGuid().ToString("N");
        var stream = run.CallFormat is null ? null : new ToolCallStream(run.CallFormat);
        var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var reading = run.ReadAsync(piece => pieces.Writer.TryWrite(piece), cancellationToken)
            .ContinueWith(task => { pieces.Writer.TryComplete(task.Exception?.InnerException); return task; }, TaskScheduler.Default).Unwrap();
        await foreach (string piece in pieces.Reader.ReadAllAsync(cancellationToken))
        {
            string content = stream is null ? piece : stream.Append(piece);
            if (content.Length > 0)
                yield return Update(responseId, new TextContent(content));
        }
        JobFinished finished = await reading;
        var reason = FinishReasonOf(finished);
        if (stream is not null)
        {
            var end = stream.Finish();
            if (end.Content.Length > 0)
                yield return Update(responseId, new TextContent(end.Content));
            foreach (var call in end.Allowed(run.Parallel))
            {
                yield return Update(responseId, new FunctionCallContent(call.Id, call.Name, ChatConversation.Arguments(call.Arguments)));
                reason = ChatFinishReason.ToolCalls;
            }
        }
        var last = Update(responseId, new UsageContent(Usage(finished)));
        last.FinishReason = reason;
        yield return last;
    }

    private ChatResponseUpdate Update(string responseId, AIContent content) => new(ChatRole.Assistant, [content])
    {
        ResponseId = responseId,
        MessageId = responseId,
        ModelId = model.Id,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    private static ChatFinishReason FinishReasonOf(JobFinished finished) =>
        finished.Reason == StopReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop;

    private static UsageDetails Usage(JobFinished finished) => new()
    {
        InputTokenCount = finished.PromptTokens,
        OutputTokenCount = finished.CompletionTokens,
        TotalTokenCount = finished.PromptTokens + finished.CompletionTokens,
        CachedInputTokenCount = finished.CachedPromptTokens,
    };

    /// <summary>Builds the job the way the server builds a chat request's, and queues it.</summary>
    private async Task<ChatRun> StartAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellation)
    {
        var served = model.Served;
        var templateMessages = ChatConversation.Messages(messages);
        var (tools, toolsJson) = ChatConversation.Tools(options);
        var choice = ChatConversation.Choice(options, tools.Count > 0);
        bool parallel = options?.AllowMultipleToolCalls ?? true;
        var callFormat = choice.Mode == ToolChoiceMode.None ? null : ToolCallFormat.ForTemplate(served.Template.Source);
        CompiledGrammar? grammar = choice.Forces
            ? ToolCallGrammar.For(callFormat!, tools, choice, parallel)
            : options?.ResponseFormat switch
            {
                ChatResponseFormatJson { Schema: { } schema } => CompiledGrammar.FromJsonSchema(schema),
                ChatResponseFormatJson => CompiledGrammar.JsonObject,
                _ => null,
            };
        if (grammar is not null)
            TokenTrie.For(served.Tokenizer);

        int[] prompt;
        int maxTokens;
        try
        {
            prompt = PromptTokens.FromChat(served, templateMessages, toolsJson);
            maxTokens = PromptTokens.MaxTokensFor(prompt.Length, options?.MaxOutputTokens, served.Scheduler.ContextSize, "messages");
        }
        catch (ApiException e)
        {
            throw new ArgumentException(e.Message, nameof(messages), e);
        }
        var sampling = SettingsParser.Sampling(options?.Temperature, options?.TopP, options?.TopK, null, options?.PresencePenalty,
            options?.FrequencyPenalty, options?.Seed);
        var events = Channel.CreateUnbounded<JobEvent>(new UnboundedChannelOptions { SingleReader = true });
        var job = new GenerationJob(0, prompt, sampling, maxTokens, options?.StopSequences?.ToArray() ?? [], 0, false, events.Writer, cancellation)
        {
            Grammar = grammar,
        };
        while (!served.Scheduler.TrySubmit([job]))
            await Task.Delay(QueueRetry, cancellation);
        return new ChatRun(events.Reader, callFormat, parallel);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(TesseraModel) ? model
        : null;

    public void Dispose()
    {
        // The model owns the scheduler; a client is only a view on it.
    }

    /// <summary>One queued job: its events, and how its answer is parsed for calls (null: not parsed).</summary>
    private sealed record ChatRun(ChannelReader<JobEvent> Events, ToolCallFormat? CallFormat, bool Parallel)
    {
        /// <summary>Hands each released piece of text to <paramref name="onText"/> and returns how the job ended.</summary>
        public async Task<JobFinished> ReadAsync(Action<string> onText, CancellationToken cancellation)
        {
            while (true)
            {
                switch (await Events.ReadAsync(cancellation))
                {
                    case TokenGenerated token when token.Text.Length > 0:
                        onText(token.Text);
                        break;
                    case JobFinished finished:
                        cancellation.ThrowIfCancellationRequested();
                        if (finished.FinalText.Length > 0)
                            onText(finished.FinalText);
                        return finished;
                    case JobFailed failed:
                        throw new InvalidOperationException($"generation failed: {failed.Message}");
                }
            }
        }
    }
}
