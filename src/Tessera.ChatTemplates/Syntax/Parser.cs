using System.Runtime.CompilerServices;
using Tessera.ChatTemplates.Lexing;

namespace Tessera.ChatTemplates.Syntax;

/// <summary>
/// Recursive-descent parser from tokens to the statement tree (statements here, expressions in
/// Parser.Expressions.cs). Nesting of blocks and brackets is limited to <see cref="TemplateLimits.MaxDepth"/>.
/// </summary>
internal sealed partial class Parser
{
    private readonly List<Token> _tokens;
    private int _index;
    private int _depth;
    private int _loopDepth;

    private Parser(List<Token> tokens) => _tokens = tokens;

    public static IReadOnlyList<Stmt> Parse(string source)
    {
        var parser = new Parser(Lexer.Tokenize(source));
        try
        {
            var body = parser.ParseBody([], out _);
            FilterNameCheck.Check(body);
            return body;
        }
        catch (InsufficientExecutionStackException)
        {
            var at = parser.Current.Position;
            throw new TemplateException("Template nesting is too deep for the stack (MaxDepth)", TemplateErrorKind.Limit, at.Line, at.Column);
        }
    }

    private Token Current => _tokens[_index];

    private Token Peek(int ahead = 1) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

    private Token Advance()
    {
        var token = _tokens[_index];
        if (_index < _tokens.Count - 1) _index++;
        return token;
    }

    private TemplateException Error(string reason, Token? at = null) =>
        TemplateException.Syntax(reason, (at ?? Current).Position);

    private Token Expect(TokenKind kind, string? value = null)
    {
        if (Current.Kind != kind || (value is not null && Current.Value != value))
            throw Error($"Expected {Describe(kind, value)} but found {Current}");
        return Advance();
    }

    private static string Describe(TokenKind kind, string? value) => value is not null ? $"'{value}'" : kind switch
    {
        TokenKind.BlockEnd => "'%}'",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.Name => "a name",
        _ => kind.ToString(),
    };

    private string ExpectName() => Expect(TokenKind.Name).Value;

    private bool SkipOperator(string op)
    {
        if (!Current.IsOperator(op)) return false;
        Advance();
        return true;
    }

    private bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        Advance();
        return true;
    }

    /// <summary>Counts one level of nesting; throws once the depth limit is passed.</summary>
    private void Enter()
    {
        if (++_depth > TemplateLimits.MaxDepth)
            throw new TemplateException($"Template nesting exceeds the limit of {TemplateLimits.MaxDepth} (MaxDepth)", TemplateErrorKind.Limit, Current.Position.Line, Current.Position.Column);
        RuntimeHelpers.EnsureSufficientExecutionStack();
    }

    private void Exit() => _depth--;

    /// <summary>Parses statements until a block tag named in <paramref name="endTags"/>; consumes '{%' and that name.</summary>
    private List<Stmt> ParseBody(string[] endTags, out string endTag)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.Text:
                    body.Add(new TextStmt(token.Position, Advance().Value));
                    break;
                case TokenKind.VariableBegin:
                    Advance();
                    body.Add(new OutputStmt(token.Position, ParseTupleOrExpression(withCondition: true)));
                    Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin:
                    var name = Peek();
                    if (name.Kind == TokenKind.Name && endTags.Contains(name.Value))
                    {
                        Advance();
                        endTag = Advance().Value;
                        return body;
                    }
                    Advance();
                    body.Add(ParseStatement(token.Position));
                    break;
                case TokenKind.End:
                    if (endTags.Length > 0) throw Error($"Missing '{{% {endTags[^1]} %}}' before the end of the template");
                    endTag = "";
                    return body;
                default:
                    throw Error($"Unexpected {token}");
            }
        }
    }

    private Stmt ParseStatement(SourcePosition at)
    {
        var keyword = Current;
        if (keyword.Kind != TokenKind.Name) throw Error($"Expected a statement name but found {keyword}");
        Advance();
        Enter();
        try
        {
            return keyword.Value switch
            {
                "if" => ParseIf(at),
                "for" => ParseFor(at),
                "set" => ParseSet(at),
                "macro" => ParseMacro(at),
                "call" => ParseCallBlock(at),
                "filter" => ParseFilterBlock(at),
                "generation" => ParseGeneration(at),
                "break" or "continue" => ParseLoopControl(at, keyword),
                "include" or "import" or "from" or "extends" or "block" or "with" or "autoescape" or "do" =>
                    throw Error($"The '{keyword.Value}' tag is not supported", keyword),
                _ => throw Error($"Unknown tag '{keyword.Value}'", keyword),
            };
        }
        finally
        {
            Exit();
        }
    }

    private IfStmt ParseIf(SourcePosition at)
    {
        var branches = new List<(Expr, IReadOnlyList<Stmt>)>();
        while (true)
        {
            var condition = ParseTupleOrExpression(withCondition: false); // Jinja: no inline if in an if test
            Expect(TokenKind.BlockEnd);
            branches.Add((condition, ParseBody(["elif", "else", "endif"], out var end)));
            if (end == "elif") continue;
            if (end == "endif")
            {
                Expect(TokenKind.BlockEnd);
                return new IfStmt(at, branches, null);
            }
            Expect(TokenKind.BlockEnd);
            var otherwise = ParseBody(["endif"], out _);
            Expect(TokenKind.BlockEnd);
            return new IfStmt(at, branches, otherwise);
        }
    }

    private ForStmt ParseFor(SourcePosition at)
    {
        var targets = ParseNameList();
        Expect(TokenKind.Name, "in");
        var iterable = ParseTupleOrExpression(withCondition: false);
        var filter = SkipName("if") ? ParseExpression() : null;
        if (Current.IsName("recursive")) throw Error("Recursive loops are not supported");
        Expect(TokenKind.BlockEnd);

        _loopDepth++;
        var body = ParseBody(["else", "endfor"], out var end);
        _loopDepth--;
        List<Stmt>? otherwise = null;
        if (end == "else")
        {
            Expect(TokenKind.BlockEnd);
            otherwise = ParseBody(["endfor"], out _);
        }
        Expect(TokenKind.BlockEnd);
        return new ForStmt(at, targets, iterable, filter, body, otherwise);
    }

    private List<string> ParseNameList()
    {
        var parenthesized = SkipOperator("(");
        var names = new List<string> { ExpectName() };
        while (SkipOperator(",") && Current.Kind == TokenKind.Name) names.Add(ExpectName());
        if (parenthesized) Expect(TokenKind.Operator, ")");
        return names;
    }

    private Stmt ParseSet(SourcePosition at)
    {
        AssignTarget target;
        var first = ExpectName();
        if (SkipOperator(".")) target = new AssignTarget([first], ExpectName());
        else if (Current.IsOperator(","))
        {
            var names = new List<string> { first };
            while (SkipOperator(",") && Current.Kind == TokenKind.Name) names.Add(ExpectName());
            target = new AssignTarget(names, null);
        }
        else target = new AssignTarget([first], null);

        if (SkipOperator("="))
        {
            var value = ParseTupleOrExpression(withCondition: true);
            Expect(TokenKind.BlockEnd);
            return new SetStmt(at, target, value);
        }
        if (target.Names.Count != 1) throw Error("A block 'set' assigns a single name");
        var filters = ParseFilterChain(requireFirst: false);
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endset"], out _);
        Expect(TokenKind.BlockEnd);
        return new SetBlockStmt(at, target, filters, body);
    }

    private MacroStmt ParseMacro(SourcePosition at)
    {
        var name = ExpectName();
        var parameters = ParseParameters();
        Expect(TokenKind.BlockEnd);
        var outerLoops = _loopDepth;
        _loopDepth = 0;
        var bodyStart = _index;
        var body = ParseBody(["endmacro"], out _);
        _loopDepth = outerLoops;
        var bodyTokens = _tokens.Skip(bodyStart).Take(_index - bodyStart).ToList();
        Expect(TokenKind.BlockEnd);
        return new MacroStmt(at, name, parameters, body, bodyTokens.Any(t => t.IsName("varargs")), bodyTokens.Any(t => t.IsName("kwargs")));
    }

    private List<MacroParameter> ParseParameters()
    {
        var parameters = new List<MacroParameter>();
        Expect(TokenKind.Operator, "(");
        while (!SkipOperator(")"))
        {
            if (parameters.Count > 0) Expect(TokenKind.Operator, ",");
            if (SkipOperator(")")) break;
            var name = ExpectName();
            if (parameters.Any(p => p.Name == name)) throw Error($"Duplicate parameter '{name}'");
            parameters.Add(new MacroParameter(name, SkipOperator("=") ? ParseExpression() : null));
        }
        return parameters;
    }

    private CallBlockStmt ParseCallBlock(SourcePosition at)
    {
        var parameters = Current.IsOperator("(") ? ParseParameters() : [];
        if (ParseExpression() is not CallExpr call) throw Error("A 'call' block needs a macro call");
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endcall"], out _);
        Expect(TokenKind.BlockEnd);
        return new CallBlockStmt(at, parameters, call, body);
    }

    private FilterBlockStmt ParseFilterBlock(SourcePosition at)
    {
        var filters = ParseFilterChain(requireFirst: true);
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endfilter"], out _);
        Expect(TokenKind.BlockEnd);
        return new FilterBlockStmt(at, filters, body);
    }

    /// <summary>Hugging Face's <c>{% generation %}</c> marks assistant text for masks; it renders its body.</summary>
    private FilterBlockStmt ParseGeneration(SourcePosition at)
    {
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endgeneration"], out _);
        Expect(TokenKind.BlockEnd);
        return new FilterBlockStmt(at, [], body);
    }

    private Stmt ParseLoopControl(SourcePosition at, Token keyword)
    {
        if (_loopDepth == 0) throw Error($"'{keyword.Value}' outside a loop", keyword);
        Expect(TokenKind.BlockEnd);
        return keyword.Value == "break" ? new BreakStmt(at) : new ContinueStmt(at);
    }

    /// <summary><c>name(args) | name(args) ...</c> for filter and set blocks.</summary>
    private List<FilterCall> ParseFilterChain(bool requireFirst)
    {
        var filters = new List<FilterCall>();
        if (!requireFirst && !SkipOperator("|")) return filters;
        do
        {
            var at = Current.Position;
            var name = ExpectName();
            filters.Add(new FilterCall(at, name, Current.IsOperator("(") ? ParseArguments() : ArgumentList.Empty));
        } while (SkipOperator("|"));
        return filters;
    }
}
