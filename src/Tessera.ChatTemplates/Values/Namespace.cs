namespace Tessera.ChatTemplates.Values;

/// <summary>The object <c>namespace(...)</c> returns: attributes a template may set from inside loops.</summary>
internal sealed class Namespace
{
    public TemplateDict Attributes { get; } = new();
}
