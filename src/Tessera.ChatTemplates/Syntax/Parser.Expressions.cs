using System.Globalization;
using Tessera.ChatTemplates.Lexing;

namespace Tessera.ChatTemplates.Syntax;

/// <summary>
/// Expression grammar, loosest to tightest binding:
/// conditional, or, and, not, comparison (== != &lt; &lt;= &gt; &gt;= in, not in), + -, ~, * / // %, **,
/// unary - +, then primary with postfix (. [] ()) and filter/test chains (| name, is name).
/// </summary>
internal sealed partial class Parser
{
    private static readonly HashSet<string> ComparisonOperators = ["==", "!=", "<", "<=", ">", ">="];

    private static readonly HashSet<string> WordsThatEndATestArgument = ["else", "or", "and", "if", "in", "not", "is"];

    private Expr ParseExpression(bool withCondition = true) => withCondition ? ParseConditional() : ParseOr();

    /// <summary>An expression, or a tuple when commas follow (<c>{% set a = 1, 2 %}</c>).</summary>
    private Expr ParseTupleOrExpression(bool withCondition)
    {
        var at = Current.Position;
        var first = ParseExpression(withCondition);
        if (!Current.IsOperator(",")) return first;
        var items = new List<Expr> { first };
        while (SkipOperator(","))
        {
            if (Current.Kind is TokenKind.BlockEnd or TokenKind.VariableEnd || Current.IsName("if")) break;
            items.Add(ParseExpression(withCondition));
        }
        return new TupleExpr(at, items);
    }

    private Expr ParseConditional()
    {
        var value = ParseOr();
        while (Current.IsName("if"))
        {
            var at = Advance().Position;
            var condition = ParseOr();
            var otherwise = SkipName("else") ? ParseConditional() : null;
            value = new ConditionalExpr(at, condition, value, otherwise);
        }
        return value;
    }

    private Expr ParseOr() => ParseLeftAssociative(ParseAnd, t => t.IsName("or"));

    private Expr ParseAnd() => ParseLeftAssociative(ParseNot, t => t.IsName("and"));

    /// <summary>One precedence level of left-associative binary operators: <c>next (op next)*</c>.</summary>
    private Expr ParseLeftAssociative(Func<Expr> next, Func<Token, bool> isOperator)
    {
        var left = next();
        while (isOperator(Current))
        {
            var op = Advance();
            left = new BinaryExpr(op.Position, op.Value, left, next());
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (!Current.IsName("not")) return ParseComparison();
        var at = Advance().Position;
        Enter();
        try
        {
            return new UnaryExpr(at, "not", ParseNot());
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Comparisons chain like Python: <c>a &lt; b &lt; c</c> is <c>a &lt; b and b &lt; c</c>.</summary>
    private Expr ParseComparison()
    {
        var left = ParseAdditive();
        Expr? chain = null;
        while (true)
        {
            var at = Current.Position;
            string op;
            if (Current.Kind == TokenKind.Operator && ComparisonOperators.Contains(Current.Value)) op = Advance().Value;
            else if (Current.IsName("in")) op = Advance().Value;
            else if (Current.IsName("not") && Peek().IsName("in"))
            {
                Advance();
                Advance();
                op = "not in";
            }
            else return chain ?? left;

            var right = ParseAdditive();
            var comparison = new BinaryExpr(at, op, left, right);
            chain = chain is null ? comparison : new BinaryExpr(at, "and", chain, comparison);
            left = right;
        }
    }

    private Expr ParseAdditive() =>
        ParseLeftAssociative(ParseConcat, t => t.Kind == TokenKind.Operator && t.Value is "+" or "-");

    private Expr ParseConcat() => ParseLeftAssociative(ParseMultiplicative, t => t.IsOperator("~"));

    private Expr ParseMultiplicative() =>
        ParseLeftAssociative(ParsePower, t => t.Kind == TokenKind.Operator && t.Value is "*" or "/" or "//" or "%");

    /// <summary>Left-associative like Jinja (not Python): <c>2 ** 3 ** 2</c> is 64.</summary>
    private Expr ParsePower() => ParseLeftAssociative(() => ParseUnary(withFilter: true), t => t.IsOperator("**"));

    /// <summary>Like Jinja, <c>-x|abs</c> negates first and filters the result.</summary>
    private Expr ParseUnary(bool withFilter)
    {
        Enter();
        try
        {
            Expr node;
            if (Current.IsOperator("-") || Current.IsOperator("+"))
            {
                var op = Advance();
                node = new UnaryExpr(op.Position, op.Value, ParseUnary(withFilter: false));
            }
            else node = ParsePrimary();
            node = ParsePostfix(node);
            return withFilter ? ParseFilterAndTests(node) : node;
        }
        finally
        {
            Exit();
        }
    }

    private Expr ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Name:
                Advance();
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpr(token.Position, true),
                    "false" or "False" => new LiteralExpr(token.Position, false),
                    "none" or "None" => new LiteralExpr(token.Position, null),
                    _ => new NameExpr(token.Position, token.Value),
                };
            case TokenKind.String:
                var text = Advance().Value;
                while (Current.Kind == TokenKind.String) text += Advance().Value;
                return new LiteralExpr(token.Position, text);
            case TokenKind.Integer:
                Advance();
                if (!long.TryParse(token.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var integer))
                    throw Error("Integer literal is too large", token);
                return new LiteralExpr(token.Position, integer);
            case TokenKind.Float:
                Advance();
                return new LiteralExpr(token.Position, double.Parse(token.Value, NumberStyles.Float, CultureInfo.InvariantCulture));
            case TokenKind.Operator when token.Value == "(":
                return ParseParenthesized();
            case TokenKind.Operator when token.Value == "[":
                return ParseList();
            case TokenKind.Operator when token.Value == "{":
                return ParseDict();
            default:
                throw Error($"Unexpected {token}");
        }
    }

    private Expr ParseParenthesized()
    {
        var at = Advance().Position;
        if (SkipOperator(")")) return new TupleExpr(at, []);
        var first = ParseExpression();
        if (SkipOperator(")")) return first;
        var items = new List<Expr> { first };
        while (SkipOperator(","))
        {
            if (Current.IsOperator(")")) break;
            items.Add(ParseExpression());
        }
        Expect(TokenKind.Operator, ")");
        return new TupleExpr(at, items);
    }

    private ListExpr ParseList()
    {
        var at = Advance().Position;
        var items = new List<Expr>();
        while (!SkipOperator("]"))
        {
            if (items.Count > 0) Expect(TokenKind.Operator, ",");
            if (SkipOperator("]")) break;
            items.Add(ParseExpression());
        }
        return new ListExpr(at, items);
    }

    private DictExpr ParseDict()
    {
        var at = Advance().Position;
        var pairs = new List<(Expr, Expr)>();
        while (!SkipOperator("}"))
        {
            if (pairs.Count > 0) Expect(TokenKind.Operator, ",");
            if (SkipOperator("}")) break;
            var key = ParseExpression();
            Expect(TokenKind.Operator, ":");
            pairs.Add((key, ParseExpression()));
        }
        return new DictExpr(at, pairs);
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("."))
            {
                Advance();
                var member = Advance();
                node = member.Kind switch
                {
                    TokenKind.Name => new AttributeExpr(token.Position, node, member.Value),
                    TokenKind.Integer => new ItemExpr(token.Position, node, new LiteralExpr(member.Position, long.Parse(member.Value, CultureInfo.InvariantCulture))),
                    _ => throw Error($"Expected an attribute name after '.' but found {member}", member),
                };
            }
            else if (token.IsOperator("[")) node = ParseSubscript(node);
            else if (token.IsOperator("(")) node = new CallExpr(token.Position, node, ParseArguments());
            else return node;
        }
    }

    private Expr ParseSubscript(Expr target)
    {
        var at = Advance().Position;
        Expr? start = null, stop = null, step = null;
        if (!Current.IsOperator(":") && !Current.IsOperator("]")) start = ParseExpression();
        if (SkipOperator("]")) return new ItemExpr(at, target, start ?? new TupleExpr(at, [])); // x[] looks up () like Jinja
        Expect(TokenKind.Operator, ":");
        if (!Current.IsOperator(":") && !Current.IsOperator("]")) stop = ParseExpression();
        if (SkipOperator(":") && !Current.IsOperator("]")) step = ParseExpression();
        Expect(TokenKind.Operator, "]");
        return new SliceExpr(at, target, start, stop, step);
    }

    private Expr ParseFilterAndTests(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("|"))
            {
                Advance();
                var nameToken = Current;
                var name = ParseDottedName();
                var args = Current.IsOperator("(") ? ParseArguments() : ArgumentList.Empty;
                node = new FilterExpr(nameToken.Position, node, name, args);
            }
            else if (token.IsName("is"))
            {
                Advance();
                var negated = SkipName("not");
                var nameToken = Current;
                var name = ParseDottedName();
                node = new TestExpr(nameToken.Position, node, name, ParseTestArguments(), negated);
            }
            else if (token.IsOperator("(")) node = new CallExpr(token.Position, node, ParseArguments());
            else return node;
        }
    }

    /// <summary>Filter and test names may be dotted (<c>x|a.b</c>); such names are unknown at render time.</summary>
    private string ParseDottedName()
    {
        var name = ExpectName();
        while (Current.IsOperator(".") && Peek().Kind == TokenKind.Name)
        {
            Advance();
            name += "." + Advance().Value;
        }
        return name;
    }

    /// <summary>A test takes arguments in parentheses or one bare argument: <c>x is divisibleby 3</c>.</summary>
    private ArgumentList ParseTestArguments()
    {
        if (Current.IsOperator("(")) return ParseArguments();
        var startsArgument = Current.Kind switch
        {
            TokenKind.Name => !WordsThatEndATestArgument.Contains(Current.Value),
            TokenKind.String or TokenKind.Integer or TokenKind.Float => true,
            TokenKind.Operator => Current.Value is "[" or "{",
            _ => false,
        };
        return startsArgument ? new ArgumentList([ParsePostfix(ParsePrimary())], []) : ArgumentList.Empty;
    }

    private ArgumentList ParseArguments()
    {
        Expect(TokenKind.Operator, "(");
        var positional = new List<Expr>();
        var named = new List<(string, Expr)>();
        while (!SkipOperator(")"))
        {
            if (positional.Count + named.Count > 0) Expect(TokenKind.Operator, ",");
            if (SkipOperator(")")) break;
            if (Current.IsOperator("*") || Current.IsOperator("**")) throw Error("Argument unpacking is not supported");
            if (Current.Kind == TokenKind.Name && Peek().IsOperator("="))
            {
                var name = Advance().Value;
                Advance();
                if (named.Any(n => n.Item1 == name)) throw Error($"Duplicate keyword argument '{name}'");
                named.Add((name, ParseExpression()));
            }
            else if (named.Count > 0) throw Error("Positional argument after a keyword argument");
            else positional.Add(ParseExpression());
        }
        return new ArgumentList(positional, named);
    }
}
