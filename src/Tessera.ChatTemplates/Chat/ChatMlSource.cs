namespace Tessera.ChatTemplates;

/// <summary>Source of the built-in ChatML template (the Qwen / SmolLM format without tools).</summary>
internal static class ChatMlSource
{
    public const string Text =
        "{%- for message in messages %}" +
        "{{- '<|im_start|>' + message.role + '\\n' + (message.content if message.content is string else '') + '<|im_end|>\\n' }}" +
        "{%- endfor %}" +
        "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";
}
