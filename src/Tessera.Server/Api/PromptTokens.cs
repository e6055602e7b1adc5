using System.Text.Json;
using Tessera.ChatTemplates;
using Tessera.Server.Hosting;

namespace Tessera.Server.Api;

/// <summary>Turns the prompt of a request into token ids and checks it fits the context with the tokens asked for.</summary>
internal static class PromptTokens
{
    /// <summary>Renders the conversation (and tool definitions, when given) with the model's chat template, generation
    /// prompt added, and tokenizes it.</summary>
    public static int[] FromChat(ServedModel served, IReadOnlyList<ChatMessage> messages, JsonElement? tools)
    {
        var tokenizer = served.Tokenizer;
        string bos = tokenizer.BosId is { } bosId ? tokenizer.TokenText(bosId) : "";
        string eos = tokenizer.EosId is { } eosId ? tokenizer.TokenText(eosId) : "";
        string text;
        try
        {
            text = served.Template.RenderChat(messages, addGenerationPrompt: true, bos, eos, tools);
        }
        catch (TemplateException e)
        {
            throw ApiException.BadRequest("messages", $"The chat template rejected the messages: {e.Message}");
        }
        return Encode(served, text, "messages");
    }

    /// <summary>
    /// Encodes text with the vocabulary's special tokens (BOS) and control tokens written in it. Templates usually write
    /// the BOS text themselves, so a doubled BOS at the start is dropped.
    /// </summary>
    public static int[] Encode(ServedModel served, string text, string param)
    {
        int[] tokens = served.Tokenizer.Encode(text, addSpecial: true, parseSpecial: true);
        if (tokens.Length >= 2 && served.Tokenizer.BosId is { } bos && tokens[0] == bos && tokens[1] == bos)
            tokens = tokens[1..];
        if (tokens.Length == 0)
            throw ApiException.BadRequest(param, $"{param} is empty after tokenization.");
        return tokens;
    }

    /// <summary>"prompt" of a text completion: a string, an array of strings, an array of token ids, or an array of such arrays.</summary>
    public static List<int[]> FromCompletion(JsonFields fields, ServedModel served)
    {
        if (fields.Get("prompt") is not { } prompt)
            throw ApiException.BadRequest("prompt", "prompt is required.");
        if (prompt.ValueKind == JsonValueKind.String)
            return [Encode(served, JsonFields.ReadString(prompt, "prompt"), "prompt")];
        if (prompt.ValueKind != JsonValueKind.Array)
            throw fields.TypeError("prompt", "a string, an array of strings or an array of token ids");
        if (prompt.GetArrayLength() == 0)
            throw ApiException.BadRequest("prompt", "prompt must not be empty.");
        var first = prompt[0];
        if (first.ValueKind == JsonValueKind.Number)
            return [ReadTokenIds(prompt, "prompt", served.VocabularySize)];
        if (prompt.GetArrayLength() > RequestLimits.MaxChoicesPerRequest)
            throw ApiException.BadRequest("prompt", $"prompt holds at most {RequestLimits.MaxChoicesPerRequest} prompts.");
        var prompts = new List<int[]>();
        int index = 0;
        foreach (var item in prompt.EnumerateArray())
        {
            string path = $"prompt[{index++}]";
            prompts.Add(item.ValueKind switch
            {
                JsonValueKind.String => Encode(served, JsonFields.ReadString(item, path), path),
                JsonValueKind.Array => ReadTokenIds(item, path, served.VocabularySize),
                _ => throw ApiException.BadRequest(path, $"{path} must be a string or an array of token ids."),
            });
        }
        return prompts;
    }

    public static int[] ReadTokenIds(JsonElement array, string path, int vocabularySize)
    {
        if (array.ValueKind != JsonValueKind.Array)
            throw ApiException.BadRequest(path, $"{path} must be an array of token ids.");
        if (array.GetArrayLength() == 0)
            throw ApiException.BadRequest(path, $"{path} must not be empty.");
        var ids = new int[array.GetArrayLength()];
        int index = 0;
        foreach (var item in array.EnumerateArray())
        {
            ids[index] = (int)JsonFields.ReadInteger(item, $"{path}[{index}]", 0, vocabularySize - 1);
            index++;
        }
        return ids;
    }

    /// <summary>
    /// Tokens to generate for a prompt: max_tokens when it fits, otherwise a 400 with the counts; without max_tokens
    /// whatever the context has left.
    /// </summary>
    public static int MaxTokensFor(int promptTokens, int? maxTokens, int contextSize, string promptParam)
    {
        if (promptTokens >= contextSize)
            throw ApiException.BadRequest(promptParam,
                $"This model's context holds {contextSize} tokens, but the prompt has {promptTokens} tokens and leaves no room to generate.",
                "context_length_exceeded");
        if (maxTokens is { } asked && (long)promptTokens + asked > contextSize)
            throw ApiException.BadRequest("max_tokens",
                $"This model's context holds {contextSize} tokens, but {(long)promptTokens + asked} were requested ({promptTokens} in the prompt, {asked} for the completion).",
                "context_length_exceeded");
        return maxTokens ?? contextSize - promptTokens;
    }
}
