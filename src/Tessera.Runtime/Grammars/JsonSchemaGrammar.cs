using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tessera.Runtime.Grammars;

/// <summary>
/// Compiles the JSON Schema subset people use for structured output into GBNF: <c>type</c> (one or a list),
/// <c>properties</c>, <c>required</c>, <c>additionalProperties</c>, <c>enum</c>, <c>const</c>, <c>anyOf</c>/<c>oneOf</c>
/// (both as alternatives), <c>allOf</c> with one member, <c>items</c>, <c>minItems</c>/<c>maxItems</c>,
/// <c>minLength</c>/<c>maxLength</c>, string formats <c>date</c>, <c>time</c>, <c>date-time</c>, <c>uuid</c>, and
/// <c>$ref</c> within the document (recursion included). Properties come in the schema's order, optional ones may be
/// left out; an object with <c>properties</c> takes no others unless <c>additionalProperties</c> allows them. Keywords
/// that constrain values in ways a grammar here does not (<c>pattern</c>, <c>minimum</c>...) are refused with the path
/// where they stand; annotations (<c>title</c>, <c>description</c>, <c>default</c>...) are ignored.
/// </summary>
public static class JsonSchemaGrammar
{
    private static readonly string[] Unsupported =
    [
        "pattern", "patternProperties", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minProperties", "maxProperties", "contains", "minContains", "maxContains", "not", "if", "then", "else",
        "dependentRequired", "dependentSchemas", "propertyNames", "unevaluatedProperties", "unevaluatedItems", "prefixItems",
    ];

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The JSON building blocks every compiled schema uses.</summary>
    private const string Common = """
        ws ::= "" | " " | "\n" [ ]{0,8}
        value ::= object | array | string | number | boolean | null
        object ::= "{" ws ( member ( "," ws member )* )? "}"
        member ::= string ":" ws value ws
        array ::= "[" ws ( value ws ( "," ws value ws )* )? "]"
        string ::= "\"" char* "\""
        char ::= [^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" unicode )
        unicode ::= [0-9a-cA-CeEfF] hex hex hex | [dD] [0-7] hex hex
        hex ::= [0-9a-fA-F]
        number ::= integer ( "." [0-9]{1,15} )? ( [eE] [-+]? [0-9]{1,2} )?
        integer ::= "-"? ( "0" | [1-9] [0-9]{0,15} )
        boolean ::= "true" | "false"
        null ::= "null"
        date ::= [1-9] [0-9]{3} "-" ( month "-" day28 | month30 "-" ( "29" | "30" ) | month31 "-31" )
        month ::= "0" [1-9] | "1" [0-2]
        month30 ::= "0" [13-9] | "1" [0-2]
        month31 ::= "0" [13578] | "1" [02]
        day28 ::= "0" [1-9] | "1" [0-9] | "2" [0-8]
        time ::= hour ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,6} )? ( "Z" | [+-] hour ":" [0-5] [0-9] )
        hour ::= [01] [0-9] | "2" [0-3]
        datetime ::= date "T" time
        uuid ::= hex{8} "-" hex{4} "-" hex{4} "-" hex{4} "-" hex{12}

        """;

    /// <summary>Any JSON object, whitespace allowed around it as a chat model writes it.</summary>
    public static string AnyObjectGbnf => "root ::= object\n" + Common;

    /// <summary>
    /// The GBNF for <paramref name="schema"/>, whose start rule is <paramref name="ruleName"/> (a grammar that embeds the
    /// schema in more text names it otherwise and writes its own root); <see cref="GrammarException"/> names the path
    /// that cannot be compiled. <paramref name="ignoreUnsupported"/> drops the keywords the grammar cannot express
    /// (bounds, patterns) instead of refusing them: the output then keeps the schema's shape but not those checks.
    /// </summary>
    public static string ToGbnf(JsonElement schema, string ruleName = "root", bool ignoreUnsupported = false)
    {
        var compiler = new Compiler(schema, ignoreUnsupported);
        string root = compiler.Expression(schema, "");
        var text = new StringBuilder();
        text.Append(ruleName).Append(" ::= ").Append(root).Append('\n');
        foreach (var (name, body) in compiler.Rules)
            text.Append(name).Append(" ::= ").Append(body).Append('\n');
        text.Append(Common);
        return text.ToString();
    }

    private sealed class Compiler(JsonElement document, bool ignoreUnsupported)
    {
        private readonly Dictionary<string, string> _refs = new(StringComparer.Ordinal);

        public List<(string Name, string Body)> Rules { get; } = [];

        /// <summary>A GBNF expression for the schema at <paramref name="path"/> (a JSON pointer, for errors).</summary>
        public string Expression(JsonElement schema, string path)
        {
            if (schema.ValueKind == JsonValueKind.True)
                return "value";
            if (schema.ValueKind == JsonValueKind.False)
                throw Error(path, "the schema false matches nothing");
            if (schema.ValueKind != JsonValueKind.Object)
                throw Error(path, "a schema must be an object or a boolean");
            foreach (string keyword in Unsupported)
            {
                if (!ignoreUnsupported && schema.TryGetProperty(keyword, out _))
                    throw Error(path, $"'{keyword}' is not supported");
            }
            if (!ignoreUnsupported && schema.TryGetProperty("uniqueItems", out var unique) && unique.ValueKind == JsonValueKind.True)
                throw Error(path, "'uniqueItems' is not supported");

            if (schema.TryGetProperty("$ref", out var reference))
                return Reference(reference, path);
            if (schema.TryGetProperty("const", out var constant))
                return Literal(JsonSerializer.Serialize(constant, Compact));
            if (schema.TryGetProperty("enum", out var values))
            {
                if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
                    throw Error(path + "/enum", "'enum' must be a non-empty array");
                return Group(values.EnumerateArray().Select(v => Literal(JsonSerializer.Serialize(v, Compact))));
            }
            foreach (string combinator in (ReadOnlySpan<string>)["anyOf", "oneOf"])
            {
                if (schema.TryGetProperty(combinator, out var options))
                    return Group(Members(options, path + "/" + combinator).Select(m => Expression(m.Schema, m.Path)));
            }
            if (schema.TryGetProperty("allOf", out var all))
            {
                var members = Members(all, path + "/allOf");
                if (members.Count != 1)
                    throw Error(path + "/allOf", "'allOf' with more than one schema is not supported");
                return Expression(members[0].Schema, members[0].Path);
            }

            if (schema.TryGetProperty("type", out var type))
            {
                if (type.ValueKind == JsonValueKind.String)
                    return Typed(schema, type.GetString()!, path);
                if (type.ValueKind == JsonValueKind.Array && type.GetArrayLength() > 0 && type.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String))
                    return Group(type.EnumerateArray().Select(t => Typed(schema, t.GetString()!, path)));
                throw Error(path + "/type", "'type' must be a type name or a non-empty array of them");
            }
            if (schema.TryGetProperty("properties", out _) || schema.TryGetProperty("additionalProperties", out _))
                return Typed(schema, "object", path);
            if (schema.TryGetProperty("items", out _))
                return Typed(schema, "array", path);
            return "value";
        }

        private string Typed(JsonElement schema, string type, string path) => type switch
        {
            "object" => Object(schema, path),
            "array" => Array(schema, path),
            "string" => String(schema, path),
            "number" => "number",
            "integer" => "integer",
            "boolean" => "boolean",
            "null" => "null",
            _ => throw Error(path + "/type", $"unknown type '{type}'"),
        };

        private string Object(JsonElement schema, string path)
        {
            string? extra = null; // the value rule of additional properties, when they are allowed
            if (schema.TryGetProperty("additionalProperties", out var additional))
            {
                if (additional.ValueKind != JsonValueKind.False)
                    extra = Expression(additional, path + "/additionalProperties");
            }
            if (!schema.TryGetProperty("properties", out var properties))
                return extra is null || extra == "value" ? (additional.ValueKind == JsonValueKind.False ? "\"{\" ws \"}\"" : "object")
                    : Rule(path, $"\"{{\" ws ( {Member("string", extra)} ( \",\" ws {Member("string", extra)} )* )? \"}}\"");
            if (properties.ValueKind != JsonValueKind.Object)
                throw Error(path + "/properties", "'properties' must be an object");
            var required = new HashSet<string>(StringComparer.Ordinal);
            if (schema.TryGetProperty("required", out var names))
            {
                if (names.ValueKind != JsonValueKind.Array || names.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.String))
                    throw Error(path + "/required", "'required' must be an array of property names");
                foreach (var name in names.EnumerateArray())
                    required.Add(name.GetString()!);
            }
            var members = properties.EnumerateObject()
                .Select(p => (Key: Literal(JsonSerializer.Serialize(p.Name, Compact)), Value: Expression(p.Value, path + "/properties/" + Escape(p.Name)), Required: required.Contains(p.Name)))
                .ToList();
            foreach (string name in required)
            {
                if (!properties.TryGetProperty(name, out _))
                    throw Error(path + "/required", $"required property '{name}' is not in 'properties'");
            }

            // first_i: the members from i on when none came before; more_i: when one did (so each starts with a comma).
            string prefix = NewName(path);
            string First(int i) => $"{prefix}-f{i}";
            string More(int i) => $"{prefix}-m{i}";
            int n = members.Count;
            string anyMember = extra is null ? "" : Member("string", extra);
            Rules.Add((First(n), extra is null ? "\"\"" : $"( {anyMember} ( \",\" ws {anyMember} )* )?"));
            Rules.Add((More(n), extra is null ? "\"\"" : $"( \",\" ws {anyMember} )*"));
            for (int i = n - 1; i >= 0; i--)
            {
                string member = Member(members[i].Key, members[i].Value);
                Rules.Add((First(i), members[i].Required ? $"{member} {More(i + 1)}" : $"{member} {More(i + 1)} | {First(i + 1)}"));
                Rules.Add((More(i), members[i].Required ? $"\",\" ws {member} {More(i + 1)}" : $"\",\" ws {member} {More(i + 1)} | {More(i + 1)}"));
            }
            return Rule(path, $"\"{{\" ws {First(0)} \"}}\"");
        }

        private static string Member(string key, string value) => $"{key} \":\" ws {value} ws";

        private string Array(JsonElement schema, string path)
        {
            string item = schema.TryGetProperty("items", out var items) ? Expression(items, path + "/items") : "value";
            int min = Count(schema, "minItems", path) ?? 0;
            int? max = Count(schema, "maxItems", path);
            if (max < min)
                throw Error(path, "'maxItems' is below 'minItems'");
            if (max == 0)
                return "\"[\" ws \"]\"";
            string more = $"( \",\" ws {item} ws )";
            string rest = max is int m ? $"{more}{{{Math.Max(0, min - 1)},{m - 1}}}" : min > 1 ? $"{more}{{{min - 1},}}" : $"{more}*";
            string body = min == 0 ? $"\"[\" ws ( {item} ws {rest} )? \"]\"" : $"\"[\" ws {item} ws {rest} \"]\"";
            return Rule(path, body);
        }

        private string String(JsonElement schema, string path)
        {
            if (schema.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String)
            {
                string? rule = format.GetString() switch
                {
                    "date" => "date",
                    "time" => "time",
                    "date-time" => "datetime",
                    "uuid" => "uuid",
                    _ => null, // other formats are annotations here: any string
                };
                if (rule is not null)
                    return $"\"\\\"\" {rule} \"\\\"\"";
            }
            int min = Count(schema, "minLength", path) ?? 0;
            int? max = Count(schema, "maxLength", path);
            if (max < min)
                throw Error(path, "'maxLength' is below 'minLength'");
            if (min == 0 && max is null)
                return "string";
            return $"\"\\\"\" char{{{min},{max?.ToString(CultureInfo.InvariantCulture) ?? ""}}} \"\\\"\"";
        }

        private static int? Count(JsonElement schema, string keyword, string path)
        {
            if (!schema.TryGetProperty(keyword, out var value))
                return null;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int count) || count < 0)
                throw Error(path + "/" + keyword, $"'{keyword}' must be a non-negative integer");
            if (count > GbnfParser.MaxRepetition)
                throw Error(path + "/" + keyword, $"'{keyword}' above {GbnfParser.MaxRepetition} is not supported");
            return count;
        }

        private string Reference(JsonElement reference, string path)
        {
            string target = reference.GetString() ?? throw Error(path + "/$ref", "'$ref' must be a string");
            if (_refs.TryGetValue(target, out string? known))
                return known;
            if (!target.StartsWith('#'))
                throw Error(path + "/$ref", $"only references within the document are supported, not '{target}'");
            var resolved = document;
            foreach (string token in target[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                string key = Uri.UnescapeDataString(token).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
                if (resolved.ValueKind == JsonValueKind.Object && resolved.TryGetProperty(key, out var next))
                    resolved = next;
                else if (resolved.ValueKind == JsonValueKind.Array && int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < resolved.GetArrayLength())
                    resolved = resolved[index];
                else
                    throw Error(path + "/$ref", $"'{target}' points to nothing in the document");
            }
            // Named before it is compiled, so a schema may refer to itself.
            string name = NewName("ref" + target[1..]);
            _refs[target] = name;
            int slot = Rules.Count;
            Rules.Add((name, ""));
            Rules[slot] = (name, Expression(resolved, target[1..]));
            return name;
        }

        private static List<(JsonElement Schema, string Path)> Members(JsonElement array, string path)
        {
            if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
                throw Error(path, "must be a non-empty array of schemas");
            return array.EnumerateArray().Select((member, i) => (member, $"{path}/{i}")).ToList();
        }

        private string Rule(string path, string body)
        {
            string name = NewName(path);
            Rules.Add((name, body));
            return name;
        }

        private string NewName(string path)
        {
            var name = new StringBuilder("s");
            foreach (char c in path)
                name.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
            return name.Append('-').Append(Rules.Count.ToString(CultureInfo.InvariantCulture)).ToString();
        }

        private static string Group(IEnumerable<string> alternatives) => "( " + string.Join(" | ", alternatives) + " )";

        private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

        private static GrammarException Error(string path, string message) =>
            new($"at {(path.Length == 0 ? "/" : path)}: {message}");
    }

    /// <summary>A GBNF string literal for <paramref name="text"/>.</summary>
    private static string Literal(string text)
    {
        var literal = new StringBuilder("\"");
        foreach (char c in text)
        {
            literal.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => $"\\x{(int)c:X2}",
                _ => c.ToString(),
            });
        }
        return literal.Append('"').ToString();
    }
}
