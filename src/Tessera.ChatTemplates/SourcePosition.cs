namespace Tessera.ChatTemplates;

/// <summary>A 1-based line and column in the template source; (0, 0) means unknown.</summary>
internal readonly record struct SourcePosition(int Line, int Column)
{
    public override string ToString() => $"line {Line}, column {Column}";
}
