using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tessera.Runtime.Embeddings;
using Tessera.Server.Api;
using Tessera.Server.Hosting;

namespace Tessera.Server.Endpoints;

/// <summary>
/// POST /v1/embeddings: one unit-length vector per input, as
/// <c>{"object":"list","data":[{"object":"embedding","index":i,"embedding":[...]}],"model":...,"usage":{...}}</c>;
/// with "encoding_format":"base64" each embedding is the base64 of its little-endian float32 bytes. Encoders (BERT)
/// and decoders both serve it. An input longer than the model takes is a 400 naming it.
/// </summary>
internal static class EmbeddingEndpoints
{
    public static async Task EmbedAsync(HttpContext http, ServerState state)
    {
        using var request = await RequestJson.ReadAsync(http);
        var fields = request.Fields;
        using var lease = await state.AcquireAsync(fields.String("model"), http.RequestAborted);
        var served = lease.Model;
        var parsed = EmbeddingRequest.Parse(fields, served);
        EmbeddingBatch result;
        try
        {
            // The forward is CPU work under the embedder's lock: keep it off the request thread.
            result = await Task.Run(() => served.Embedder.Embed(parsed.Inputs, http.RequestAborted), http.RequestAborted);
        }
        catch (EmbeddingInputException e)
        {
            string param = parsed.Inputs.Count == 1 ? "input" : $"input[{e.Index}]";
            throw ApiException.BadRequest(param, e.Message[0..1].ToUpperInvariant() + e.Message[1..] + ".", e.TooLong ? "context_length_exceeded" : null);
        }
        await InfoEndpoints.WriteJsonAsync(http, Response(result, served.Id, parsed.Base64));
    }

    private static byte[] Response(EmbeddingBatch result, string model, bool base64)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            for (int i = 0; i < result.Count; i++)
            {
                json.WriteStartObject();
                json.WriteString("object", "embedding");
                json.WriteNumber("index", i);
                if (base64)
                {
                    json.WriteBase64String("embedding", LittleEndianBytes(result.Embeddings[i]));
                }
                else
                {
                    json.WriteStartArray("embedding");
                    foreach (float value in result.Embeddings[i])
                        json.WriteNumberValue(value);
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteString("model", model);
            json.WriteStartObject("usage");
            json.WriteNumber("prompt_tokens", result.TotalTokens);
            json.WriteNumber("total_tokens", result.TotalTokens);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    private static byte[] LittleEndianBytes(float[] values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        return bytes;
    }
}
