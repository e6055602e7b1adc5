namespace Tessera.ChatTemplates.Syntax;

/// <summary>Expression nodes of the template syntax tree.</summary>
internal abstract record Expr(SourcePosition Position);

internal sealed record LiteralExpr(SourcePosition Position, object? Value) : Expr(Position);

internal sealed record NameExpr(SourcePosition Position, string Name) : Expr(Position);

internal sealed record ListExpr(SourcePosition Position, IReadOnlyList<Expr> Items) : Expr(Position);

internal sealed record TupleExpr(SourcePosition Position, IReadOnlyList<Expr> Items) : Expr(Position);

internal sealed record DictExpr(SourcePosition Position, IReadOnlyList<(Expr Key, Expr Value)> Pairs) : Expr(Position);

/// <summary><c>obj.name</c>: attribute first, then item (Jinja's getattr order).</summary>
internal sealed record AttributeExpr(SourcePosition Position, Expr Target, string Name) : Expr(Position);

/// <summary><c>obj[key]</c>: item first, then attribute.</summary>
internal sealed record ItemExpr(SourcePosition Position, Expr Target, Expr Key) : Expr(Position);

/// <summary><c>obj[start:stop:step]</c>, each part optional.</summary>
internal sealed record SliceExpr(SourcePosition Position, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Position);

/// <summary>Positional and keyword arguments of a call, filter or test.</summary>
internal sealed record ArgumentList(IReadOnlyList<Expr> Positional, IReadOnlyList<(string Name, Expr Value)> Named)
{
    public static readonly ArgumentList Empty = new([], []);
}

internal sealed record CallExpr(SourcePosition Position, Expr Callee, ArgumentList Arguments) : Expr(Position);

internal sealed record FilterExpr(SourcePosition Position, Expr Value, string Name, ArgumentList Arguments) : Expr(Position);

/// <summary><c>value is [not] name(args)</c>.</summary>
internal sealed record TestExpr(SourcePosition Position, Expr Value, string Name, ArgumentList Arguments, bool Negated) : Expr(Position);

/// <summary><c>not x</c>, <c>-x</c>, <c>+x</c>.</summary>
internal sealed record UnaryExpr(SourcePosition Position, string Operator, Expr Operand) : Expr(Position);

/// <summary>Arithmetic, comparison, <c>~</c>, <c>in</c>, <c>not in</c>, <c>and</c>, <c>or</c>.</summary>
internal sealed record BinaryExpr(SourcePosition Position, string Operator, Expr Left, Expr Right) : Expr(Position);

/// <summary><c>then if condition else otherwise</c>; a missing else yields undefined.</summary>
internal sealed record ConditionalExpr(SourcePosition Position, Expr Condition, Expr Then, Expr? Otherwise) : Expr(Position);
