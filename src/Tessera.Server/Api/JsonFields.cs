using System.Text.Json;

namespace Tessera.Server.Api;

/// <summary>
/// Typed reads of the fields of one JSON object; a field of the wrong type or out of range becomes a 400 naming it
/// (<c>param</c> is the field's path, e.g. <c>messages[2].role</c>). Null counts as absent, as OpenAI's API treats it.
/// </summary>
internal readonly struct JsonFields
{
    private readonly JsonElement _object;
    private readonly string _prefix;

    public JsonFields(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw path.Length == 0
                ? new ApiException(400, "The request body must be a JSON object.", null, "invalid_json")
                : ApiException.BadRequest(path, $"{path} must be a JSON object.");
        _object = element;
        _prefix = path.Length == 0 ? "" : path + ".";
    }

    public string PathOf(string name) => _prefix + name;

    /// <summary>The field's value, or null when absent or JSON null.</summary>
    public JsonElement? Get(string name) =>
        _object.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public string? String(string name)
    {
        if (Get(name) is not { } value)
            return null;
        return value.ValueKind == JsonValueKind.String ? ReadString(value, PathOf(name)) : throw TypeError(name, "a string");
    }

    /// <summary>A JSON string's text; escapes of lone UTF-16 surrogates ("\ud800") are not text and get a 400.</summary>
    public static string ReadString(JsonElement value, string path)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw ApiException.BadRequest(path, $"{path} is not valid Unicode text.");
        }
    }

    public bool? Bool(string name)
    {
        if (Get(name) is not { } value)
            return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw TypeError(name, "a boolean"),
        };
    }

    /// <summary>A number in [min, max].</summary>
    public double? Number(string name, double min, double max)
    {
        if (Get(name) is not { } value)
            return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double number) || !double.IsFinite(number))
            throw TypeError(name, "a number");
        if (number < min || number > max)
            throw ApiException.BadRequest(PathOf(name), $"{PathOf(name)} must be between {min} and {max}.");
        return number;
    }

    /// <summary>An integer in [min, max].</summary>
    public long? Integer(string name, long min, long max)
    {
        if (Get(name) is not { } value)
            return null;
        return ReadInteger(value, PathOf(name), min, max);
    }

    public static long ReadInteger(JsonElement value, string path, long min, long max)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long number))
            throw ApiException.BadRequest(path, $"{path} must be an integer.");
        if (number < min || number > max)
            throw ApiException.BadRequest(path, $"{path} must be between {min} and {max}.");
        return number;
    }

    /// <summary>The 400 for a field that must be given and is not.</summary>
    public ApiException Missing(string name) => ApiException.BadRequest(PathOf(name), $"{PathOf(name)} is required.");

    public ApiException TypeError(string name, string expected) => ApiException.BadRequest(PathOf(name), $"{PathOf(name)} must be {expected}.");
}
