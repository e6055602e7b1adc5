using System.Globalization;

namespace Tessera.LoadTest;

/// <summary>What to send and how hard: parsed from `--name value` pairs.</summary>
internal sealed record LoadOptions
{
    public Uri Url { get; init; } = new("http://127.0.0.1:8080");
    public string? Model { get; init; }
    public string? ApiKey { get; init; } = Environment.GetEnvironmentVariable("TESSERA_API_KEY");
    public int Concurrency { get; init; } = 4;
    public int Requests { get; init; } = 32;

    /// <summary>Run for this long instead of a fixed request count (a soak test).</summary>
    public TimeSpan? Duration { get; init; }
    public int MaxTokens { get; init; } = 64;
    public string Prompt { get; init; } = "Once upon a time";

    /// <summary>Text every request starts with (a system message in chat, a prefix in completions); a shared prefix
    /// the server can cache. When set, one request runs alone first and is reported apart from the later ones.</summary>
    public string? SystemPrompt { get; init; }
    public bool Chat { get; init; } = true;
    public bool Stream { get; init; } = true;
    public double Temperature { get; init; } = 0.8;

    /// <summary>Longest text (in words) added after the prompt, a random length per request (0: every prompt is
    /// <see cref="Prompt"/>), so prompts of many lengths mix in one run.</summary>
    public int MixedPromptWords { get; init; }

    /// <summary>Share of streamed requests the client drops after a random number of tokens (a user closing the tab).</summary>
    public double DisconnectRate { get; init; }

    /// <summary>Seed of the prompt lengths and disconnects, so two runs send the same mix.</summary>
    public int Seed { get; init; } = 1;

    public const string Usage = """
        Tessera load generator: sends concurrent completion requests to a running `tessera serve` and reports
        throughput, time to first token, inter-token latency and errors.

          --url URL            server address (default http://127.0.0.1:8080)
          --model ID           model id (default: the first of GET /v1/models)
          --api-key KEY        bearer key (default: $TESSERA_API_KEY)
          --concurrency N      requests in flight (default 4)
          --requests N         total requests (default 32)
          --duration SECONDS   keep sending for this long instead (soak)
          --max-tokens N       tokens per request (default 64)
          --prompt TEXT        prompt (default "Once upon a time")
          --system-prompt TEXT shared prefix of every request (system message in chat); the first request then
                               runs alone and its time to first token is reported beside the later ones'
          --system-prompt-file FILE  the same, read from a file
          --completions        use /v1/completions instead of /v1/chat/completions
          --no-stream          ask for whole responses (no TTFT / inter-token figures)
          --temperature T      sampling temperature (default 0.8)
          --mixed-prompts N    add 0..N words of filler text after the prompt, a random count per request
          --disconnect-rate P  drop this share (0..1) of streamed requests after a random number of tokens;
                               reported as "dropped", not as errors
          --seed N             seed of the prompt lengths and drops (default 1)
        """;

    public static LoadOptions Parse(string[] args)
    {
        var options = new LoadOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            int Positive() => int.Parse(Value(), CultureInfo.InvariantCulture) is var n and > 0 ? n : throw new ArgumentException($"{name} must be positive");
            options = name switch
            {
                "--url" => options with { Url = new Uri(Value()) },
                "--model" => options with { Model = Value() },
                "--api-key" => options with { ApiKey = Value() },
                "--concurrency" => options with { Concurrency = Positive() },
                "--requests" => options with { Requests = Positive() },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(Positive()) },
                "--max-tokens" => options with { MaxTokens = Positive() },
                "--prompt" => options with { Prompt = Value() },
                "--system-prompt" => options with { SystemPrompt = Value() },
                "--system-prompt-file" => options with { SystemPrompt = File.ReadAllText(Value()) },
                "--completions" => options with { Chat = false },
                "--no-stream" => options with { Stream = false },
                "--temperature" => options with { Temperature = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--mixed-prompts" => options with { MixedPromptWords = Positive() },
                "--disconnect-rate" => options with { DisconnectRate = double.Parse(Value(), CultureInfo.InvariantCulture) is var p and >= 0 and <= 1
                    ? p : throw new ArgumentException("--disconnect-rate must be between 0 and 1") },
                "--seed" => options with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }
        return options;
    }
}
