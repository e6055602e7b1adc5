using System.Runtime.CompilerServices;
using Tessera.ChatTemplates.Library;
using Tessera.ChatTemplates.Syntax;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Runtime;

internal sealed partial class Evaluator
{
    public object? Eval(Expr expr)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        try
        {
            return expr switch
            {
                LiteralExpr literal => literal.Value,
                NameExpr name => _scope.TryGet(name.Name, out var value) ? value : new Undefined(name.Name),
                ListExpr list => BuildList(list.Items),
                TupleExpr tuple => BuildList(tuple.Items).ToArray(),
                DictExpr dict => BuildDict(dict),
                AttributeExpr attribute => Members.GetAttribute(Defined(Eval(attribute.Target)), attribute.Name),
                ItemExpr item => Members.GetItem(Defined(Eval(item.Target)), Eval(item.Key)),
                SliceExpr slice => ChargeForSize(Slicing.Slice(Defined(Eval(slice.Target)), EvalOptional(slice.Start), EvalOptional(slice.Stop), EvalOptional(slice.Step))),
                CallExpr call => ChargeForSize(Call(Eval(call.Callee), EvaluateArguments(call.Arguments))),
                FilterExpr filter => ChargeForSize(Filters.Apply(this, filter.Name, Eval(filter.Value), EvaluateArguments(filter.Arguments))),
                TestExpr test => Tests.Apply(this, test.Name, Eval(test.Value), EvaluateArguments(test.Arguments)) != test.Negated,
                UnaryExpr unary => EvalUnary(unary),
                BinaryExpr binary => ChargeForSize(EvalBinary(binary)),
                ConditionalExpr conditional => PythonValues.IsTruthy(Eval(conditional.Condition))
                    ? Eval(conditional.Then)
                    : conditional.Otherwise is null ? Undefined.Anonymous : Eval(conditional.Otherwise),
                _ => throw new TemplateException($"Unsupported expression {expr.GetType().Name}"),
            };
        }
        catch (TemplateException e) when (e.Line == 0)
        {
            throw e.WithPosition(expr.Position);
        }
    }

    /// <summary>
    /// Characters per evaluation step when text is scanned or built: scanning 256 characters costs about as much
    /// as one statement, and a 20,000-message chat still renders in a fraction of the step budget.
    /// </summary>
    public const int CharactersPerStep = 256;

    /// <summary>
    /// Charges steps for the size of a value an operation read or built (lists by item, text by KiB), so that
    /// repeating an operation on large data inside a loop stays bounded in time, not only in count.
    /// </summary>
    public object? ChargeForSize(object? value)
    {
        switch (value)
        {
            case string s: Step(s.Length / CharactersPerStep); break;
            case List<object?> list: Step(list.Count); break;
            case object?[] tuple: Step(tuple.Length); break;
            case TemplateDict dict: Step(dict.Count); break;
        }
        return value;
    }

    /// <summary>With <see cref="TemplateOptions.StrictUndefinedAccess"/>, members of undefined values are errors.</summary>
    private object? Defined(object? target) =>
        target is Undefined undefined && _options.StrictUndefinedAccess ? throw undefined.Error() : target;

    private object? EvalOptional(Expr? expr) => expr is null ? null : Eval(expr);

    private List<object?> BuildList(IReadOnlyList<Expr> items)
    {
        var list = new List<object?>(items.Count);
        foreach (var item in items) list.Add(Eval(item));
        return list;
    }

    private TemplateDict BuildDict(DictExpr expr)
    {
        var dict = new TemplateDict();
        foreach (var (key, value) in expr.Pairs) dict.Set(Eval(key), Eval(value));
        return dict;
    }

    public Arguments EvaluateArguments(ArgumentList arguments)
    {
        if (arguments.Positional.Count == 0 && arguments.Named.Count == 0) return Arguments.None;
        var positional = BuildList(arguments.Positional);
        var named = arguments.Named.Select(n => (n.Name, Eval(n.Value))).ToList();
        return new Arguments(positional, named);
    }

    public object? Call(object? callee, Arguments arguments) => callee switch
    {
        ICallable function => function.Invoke(this, arguments),
        Undefined undefined => throw undefined.Error(),
        _ => throw new TemplateException($"'{PythonTypes.NameOf(callee)}' object is not callable"),
    };

    private object? EvalUnary(UnaryExpr expr)
    {
        var operand = Eval(expr.Operand);
        return expr.Operator switch
        {
            "not" => !PythonValues.IsTruthy(operand),
            "-" => Operators.Negate(operand),
            _ => Operators.Plus(operand),
        };
    }

    /// <summary><c>and</c> / <c>or</c> short-circuit and return an operand, as in Python.</summary>
    private object? EvalBinary(BinaryExpr expr)
    {
        var left = Eval(expr.Left);
        switch (expr.Operator)
        {
            case "and": return PythonValues.IsTruthy(left) ? Eval(expr.Right) : left;
            case "or": return PythonValues.IsTruthy(left) ? left : Eval(expr.Right);
        }
        return Operators.Binary(this, expr.Operator, left, Eval(expr.Right));
    }

    /// <summary>The items of an iterable value, as Python's list(value) (strings by code point, dicts by key).</summary>
    public List<object?> ToList(object? value)
    {
        switch (value)
        {
            case List<object?> list:
                Step(list.Count);
                return [.. list];
            case object?[] tuple:
                Step(tuple.Length);
                return [.. tuple];
            case string s:
                Step(s.Length); // before splitting: one string per character is the costly part
                return [.. CodePoints.Split(s)];
            case TemplateDict dict:
                Step(dict.Count);
                return [.. dict.Keys];
            case RangeValue range:
                Step(range.Count);
                var items = new List<object?>((int)range.Count);
                for (long i = 0; i < range.Count; i++) items.Add(range[i]);
                return items;
            case Undefined:
                return [];
            default:
                throw new TemplateException($"'{PythonTypes.NameOf(value)}' object is not iterable");
        }
    }
}
