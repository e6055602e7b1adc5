namespace Tessera.ChatTemplates.Tests;

/// <summary>tojson as Hugging Face defines it: json.dumps with non-ASCII kept and Python's separators.</summary>
public sealed class TojsonTests
{
    [Theory]
    [InlineData("{{ d|tojson }}", "{\"b\": 2, \"a\": 1, \"items\": 5}")]
    [InlineData("{{ d|tojson(indent=2) }}", "{\n  \"b\": 2,\n  \"a\": 1,\n  \"items\": 5\n}")]
    [InlineData("{{ {'a': [1, {'b': []}], 'c': {}}|tojson(indent=4) }}", "{\n    \"a\": [\n        1,\n        {\n            \"b\": []\n        }\n    ],\n    \"c\": {}\n}")]
    [InlineData("{{ {'k': 'é\"\\n\\t\\\\</'}|tojson }}", "{\"k\": \"é\\\"\\n\\t\\\\</\"}")]
    [InlineData("{{ 1.0|tojson }}|{{ none|tojson }}|{{ true|tojson }}|{{ 'x'|tojson }}|{{ (1, 'a')|tojson }}", "1.0|null|true|\"x\"|[1, \"a\"]")]
    [InlineData("{{ d|tojson(sort_keys=true) }}", "{\"a\": 1, \"b\": 2, \"items\": 5}")]
    [InlineData("{{ d|tojson(separators=(',', ':')) }}", "{\"b\":2,\"a\":1,\"items\":5}")]
    [InlineData("{{ 'é🌍\\x01'|tojson(ensure_ascii=true) }}", "\"\\u00e9\\ud83c\\udf0d\\u0001\"")]
    [InlineData("{{ s|tojson }}", "\"Héllo World 🌍\"")]
    public void SerialisesLikePythonJson(string template, string expected)
    {
        Assert.Equal(expected, Render.Text(template, Render.Data));
    }

    [Fact]
    public void UndefinedIsNotSerialisable()
    {
        Assert.Contains("not JSON serializable", Render.Error("{{ missing|tojson }}").Message);
    }
}
