using Tessera.ChatTemplates.Library;
using Tessera.ChatTemplates.Runtime;
using Tessera.ChatTemplates.Syntax;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates;

/// <summary>
/// A parsed chat template: the Jinja subset model chat templates use, rendered with Hugging Face's settings
/// (trim_blocks, lstrip_blocks, loop controls, no autoescape). Templates cannot reach anything but their inputs.
/// A parsed template is immutable and may be rendered concurrently.
/// </summary>
public sealed class ChatTemplate
{
    private static readonly Lazy<ChatTemplate> ChatMlTemplate = new(() => Parse(ChatMlSource.Text));

    private readonly IReadOnlyList<Stmt> _body;

    private ChatTemplate(string source, IReadOnlyList<Stmt> body)
    {
        Source = source;
        _body = body;
    }

    /// <summary>The ChatML format (<c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c>), for models without a template.</summary>
    public static ChatTemplate ChatMl => ChatMlTemplate.Value;

    public string Source { get; }

    /// <exception cref="TemplateException">The source is not valid template syntax or is too large.</exception>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Length > TemplateLimits.MaxTemplateLength)
            throw new TemplateException($"Template source of {source.Length} characters exceeds the limit of {TemplateLimits.MaxTemplateLength} (MaxTemplateLength)", TemplateErrorKind.Limit);
        return new ChatTemplate(source, Parser.Parse(source));
    }

    /// <summary>
    /// Renders with the given variables. Values may be strings, numbers, booleans, null, dictionaries, sequences,
    /// <see cref="System.Text.Json.JsonElement"/>, <see cref="System.Text.Json.Nodes.JsonNode"/>, <see cref="ChatMessage"/>
    /// and <see cref="ChatToolCall"/>.
    /// </summary>
    /// <exception cref="TemplateException">Rendering failed, a limit was hit, or the template called raise_exception.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables, TemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var scope = new Scope(Globals.CreateScope());
        foreach (var (name, value) in variables) scope.Set(name, ValueConverter.FromObject(value));
        var evaluator = new Evaluator(scope, (options ?? TemplateOptions.Default).Clamped());
        try
        {
            return evaluator.Render(_body);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new TemplateException("Template evaluation nests too deeply for the stack (MaxDepth)", TemplateErrorKind.Limit);
        }
    }

    /// <summary>
    /// Renders a conversation with the variables chat templates expect: <c>messages</c>, <c>add_generation_prompt</c>,
    /// <c>bos_token</c>, <c>eos_token</c>, <c>tools</c> (only when given) and any extra variables (e.g. <c>enable_thinking</c>).
    /// </summary>
    public string RenderChat(
        IReadOnlyList<ChatMessage> messages,
        bool addGenerationPrompt,
        string bosToken = "",
        string eosToken = "",
        object? tools = null,
        IReadOnlyDictionary<string, object?>? extraVariables = null,
        TemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in extraVariables ?? new Dictionary<string, object?>()) variables[name] = value;
        variables["messages"] = messages;
        variables["add_generation_prompt"] = addGenerationPrompt;
        variables["bos_token"] = bosToken;
        variables["eos_token"] = eosToken;
        if (tools is not null) variables["tools"] = tools;
        return Render(variables, options);
    }
}
