using System.Text.Json;
using Tessera.Server.Hosting;

namespace Tessera.Server.Api;

/// <summary>
/// The fields of POST /v1/embeddings in OpenAI's shape: "input" (a string, an array of strings, an array of token ids
/// or an array of such arrays), "encoding_format" ("float" or "base64"), "dimensions" (only the model's own width:
/// vectors are not truncated). Texts are tokenized here with the model's special tokens; token ids are taken as given.
/// </summary>
internal sealed record EmbeddingRequest(IReadOnlyList<int[]> Inputs, bool Base64)
{
    /// <summary>Inputs per request, as OpenAI allows.</summary>
    public const int MaxInputs = 2048;

    public static EmbeddingRequest Parse(JsonFields fields, ServedModel served)
    {
        var inputs = ReadInputs(fields, served);
        bool base64 = fields.String("encoding_format") switch
        {
            null or "float" => false,
            "base64" => true,
            _ => throw ApiException.BadRequest("encoding_format", "encoding_format must be \"float\" or \"base64\"."),
        };
        int width = served.Embedder.Dimensions;
        if (fields.Integer("dimensions", 1, int.MaxValue) is { } dimensions && dimensions != width)
            throw ApiException.BadRequest("dimensions", $"This model's embeddings have {width} dimensions; other sizes are not supported.");
        return new EmbeddingRequest(inputs, base64);
    }

    private static List<int[]> ReadInputs(JsonFields fields, ServedModel served)
    {
        if (fields.Get("input") is not { } input)
            throw ApiException.BadRequest("input", "input is required.");
        if (input.ValueKind == JsonValueKind.String)
            return [Encode(served, input, "input")];
        if (input.ValueKind != JsonValueKind.Array)
            throw fields.TypeError("input", "a string, an array of strings or an array of token ids");
        int count = input.GetArrayLength();
        if (count == 0)
            throw ApiException.BadRequest("input", "input must not be empty.");
        if (input[0].ValueKind == JsonValueKind.Number)
            return [PromptTokens.ReadTokenIds(input, "input", served.VocabularySize)];
        if (count > MaxInputs)
            throw ApiException.BadRequest("input", $"input holds at most {MaxInputs} items.");
        var inputs = new List<int[]>(count);
        int index = 0;
        foreach (var item in input.EnumerateArray())
        {
            string path = $"input[{index++}]";
            inputs.Add(item.ValueKind switch
            {
                JsonValueKind.String => Encode(served, item, path),
                JsonValueKind.Array => PromptTokens.ReadTokenIds(item, path, served.VocabularySize),
                _ => throw ApiException.BadRequest(path, $"{path} must be a string or an array of token ids."),
            });
        }
        return inputs;
    }

    /// <summary>A text's tokens; an empty string is refused, as OpenAI does.</summary>
    private static int[] Encode(ServedModel served, JsonElement value, string path)
    {
        string text = JsonFields.ReadString(value, path);
        if (text.Length == 0)
            throw ApiException.BadRequest(path, $"{path} must not be an empty string.");
        return served.Embedder.Tokenize(text);
    }
}
