using System.Globalization;
using System.Text.Json;
using Tessera.Runtime.Sampling;

namespace Tessera.Server.Api;

/// <summary>Reads and range-checks the fields chat and text completions share (sampling, limits, stop, streaming, logprobs).</summary>
internal static class SettingsParser
{
    /// <summary>
    /// The sampler for a request's values, with OpenAI's defaults for those not given (temperature 1, no top-p, top-k or
    /// min-p cut, no penalties); the server and the in-process chat client both build theirs here.
    /// </summary>
    public static SamplerOptions Sampling(double? temperature, double? topP, int? topK, double? minP, double? presencePenalty,
        double? frequencyPenalty, long? seed) => new()
    {
        Temperature = (float)(temperature ?? 1),
        // top_p 0 keeps only the most likely token; the sampler wants (0, 1], so express it as top-k 1.
        TopP = topP is null or 0 ? 1 : (float)topP,
        TopK = topP == 0 ? 1 : topK ?? 0,
        MinP = (float)(minP ?? 0),
        PresencePenalty = (float)(presencePenalty ?? 0),
        FrequencyPenalty = (float)(frequencyPenalty ?? 0),
        Seed = seed is { } value ? unchecked((ulong)value) : null,
    };

    public static GenerationSettings Parse(JsonFields fields, int vocabularySize, bool chat)
    {
        var sampling = Sampling(
            fields.Number("temperature", 0, RequestLimits.MaxTemperature),
            fields.Number("top_p", 0, 1),
            (int?)fields.Integer("top_k", 0, int.MaxValue),
            fields.Number("min_p", 0, 1),
            fields.Number("presence_penalty", -RequestLimits.MaxPenalty, RequestLimits.MaxPenalty),
            fields.Number("frequency_penalty", -RequestLimits.MaxPenalty, RequestLimits.MaxPenalty),
            fields.Integer("seed", long.MinValue, long.MaxValue)) with
        {
            RepeatPenalty = (float)(fields.Number("repeat_penalty", double.Epsilon, RequestLimits.MaxRepeatPenalty) ?? 1),
            LogitBias = ReadLogitBias(fields, vocabularySize),
        };
        _ = fields.String("user");

        int? maxTokens = ReadMaxTokens(fields, "max_tokens");
        if (chat)
            maxTokens = ReadMaxTokens(fields, "max_completion_tokens") ?? maxTokens;
        int choices = (int)(fields.Integer("n", 1, RequestLimits.MaxChoices) ?? 1);
        bool stream = fields.Bool("stream") ?? false;
        bool includeUsage = false;
        if (fields.Get("stream_options") is { } streamOptions)
            includeUsage = new JsonFields(streamOptions, fields.PathOf("stream_options")).Bool("include_usage") ?? false;

        var (logprobs, topLogprobs) = chat ? ReadChatLogprobs(fields) : ReadCompletionLogprobs(fields);
        return new GenerationSettings
        {
            Model = fields.String("model"),
            Sampling = sampling,
            MaxTokens = maxTokens,
            Stop = ReadStop(fields),
            ChoiceCount = choices,
            Stream = stream,
            IncludeUsage = includeUsage,
            Logprobs = logprobs,
            TopLogprobs = topLogprobs,
            Grammar = ResponseFormatParser.Parse(fields),
            CachePrompt = fields.Bool("cache_prompt") ?? true,
        };
    }

    private static int? ReadMaxTokens(JsonFields fields, string name) => (int?)fields.Integer(name, 1, int.MaxValue);

    private static (bool, int) ReadChatLogprobs(JsonFields fields)
    {
        bool logprobs = fields.Bool("logprobs") ?? false;
        int? top = (int?)fields.Integer("top_logprobs", 0, RequestLimits.MaxChatTopLogprobs);
        if (top is not null && !logprobs)
            throw ApiException.BadRequest("top_logprobs", "top_logprobs needs logprobs set to true.");
        return (logprobs, top ?? 0);
    }

    /// <summary>Text completions: "logprobs" is the number of alternatives (0..5); present means wanted.</summary>
    private static (bool, int) ReadCompletionLogprobs(JsonFields fields)
    {
        int? count = (int?)fields.Integer("logprobs", 0, RequestLimits.MaxCompletionLogprobs);
        return (count is not null, count ?? 0);
    }

    private static List<string> ReadStop(JsonFields fields)
    {
        if (fields.Get("stop") is not { } stop)
            return [];
        var strings = new List<string>();
        if (stop.ValueKind == JsonValueKind.String)
            strings.Add(JsonFields.ReadString(stop, "stop"));
        else if (stop.ValueKind == JsonValueKind.Array)
        {
            if (stop.GetArrayLength() > RequestLimits.MaxStopStrings)
                throw ApiException.BadRequest("stop", $"stop holds at most {RequestLimits.MaxStopStrings} strings.");
            int index = 0;
            foreach (var item in stop.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                    throw ApiException.BadRequest($"stop[{index}]", $"stop[{index}] must be a string.");
                strings.Add(JsonFields.ReadString(item, $"stop[{index}]"));
                index++;
            }
        }
        else
            throw ApiException.BadRequest("stop", "stop must be a string or an array of strings.");
        for (int i = 0; i < strings.Count; i++)
        {
            if (strings[i].Length is 0 or > RequestLimits.MaxStopLength)
                throw ApiException.BadRequest("stop", $"each stop string must have 1 to {RequestLimits.MaxStopLength} characters.");
        }
        return strings;
    }

    private static Dictionary<int, float>? ReadLogitBias(JsonFields fields, int vocabularySize)
    {
        if (fields.Get("logit_bias") is not { } element)
            return null;
        if (element.ValueKind != JsonValueKind.Object)
            throw fields.TypeError("logit_bias", "an object mapping token ids to bias values");
        var bias = new Dictionary<int, float>();
        foreach (var entry in element.EnumerateObject())
        {
            if (bias.Count == RequestLimits.MaxLogitBiasEntries)
                throw ApiException.BadRequest("logit_bias", $"logit_bias holds at most {RequestLimits.MaxLogitBiasEntries} entries.");
            if (!int.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id >= vocabularySize)
                throw ApiException.BadRequest("logit_bias", $"logit_bias keys must be token ids in 0..{vocabularySize - 1}.");
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetDouble(out double value)
                || value < -RequestLimits.MaxLogitBias || value > RequestLimits.MaxLogitBias)
                throw ApiException.BadRequest("logit_bias", $"logit_bias values must be numbers between {-RequestLimits.MaxLogitBias} and {RequestLimits.MaxLogitBias}.");
            bias[id] = (float)value;
        }
        return bias;
    }
}
