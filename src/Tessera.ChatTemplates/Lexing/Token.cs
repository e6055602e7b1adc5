namespace Tessera.ChatTemplates.Lexing;

internal enum TokenKind
{
    Text,
    VariableBegin,  // {{
    VariableEnd,    // }}
    BlockBegin,     // {%
    BlockEnd,       // %}
    Name,
    String,         // Value holds the decoded text
    Integer,
    Float,
    Operator,       // punctuation and operators: + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |
    End,
}

internal readonly record struct Token(TokenKind Kind, string Value, SourcePosition Position)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;

    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;

    public bool IsOperator(string op) => Kind == TokenKind.Operator && Value == op;

    public override string ToString() => Kind switch
    {
        TokenKind.End => "end of template",
        TokenKind.Text => "text",
        TokenKind.String => $"string '{Value}'",
        _ => $"'{Value}'",
    };
}
