using System.Runtime.CompilerServices;
using Tessera.ChatTemplates.Library;

namespace Tessera.ChatTemplates.Syntax;

/// <summary>
/// Rejects unknown filter and test names when the template is parsed, as Jinja does when it compiles:
/// except inside an <c>if</c> (condition and branches) or an inline <c>x if c else y</c>, where Jinja waits
/// until the name is actually used. Loop, macro and block bodies start afresh.
/// </summary>
internal static class FilterNameCheck
{
    public static void Check(IReadOnlyList<Stmt> body, bool lenient = false)
    {
        foreach (var stmt in body) Check(stmt, lenient);
    }

    private static void Check(Stmt stmt, bool lenient)
    {
        switch (stmt)
        {
            case OutputStmt output: Check(output.Value, lenient); break;
            case IfStmt ifStmt:
                foreach (var (condition, branch) in ifStmt.Branches)
                {
                    Check(condition, true);
                    Check(branch, true);
                }
                if (ifStmt.Else is not null) Check(ifStmt.Else, true);
                break;
            case ForStmt forStmt:
                Check(forStmt.Iterable, lenient);
                if (forStmt.Filter is not null) Check(forStmt.Filter, false);
                Check(forStmt.Body);
                if (forStmt.Else is not null) Check(forStmt.Else);
                break;
            case SetStmt set: Check(set.Value, lenient); break;
            case SetBlockStmt setBlock:
                CheckFilters(setBlock.Filters, lenient);
                Check(setBlock.Body);
                break;
            case MacroStmt macro:
                foreach (var parameter in macro.Parameters) Check(parameter.Default, lenient);
                Check(macro.Body);
                break;
            case CallBlockStmt call:
                Check(call.Call, lenient);
                Check(call.Body);
                break;
            case FilterBlockStmt filter:
                CheckFilters(filter.Filters, lenient);
                Check(filter.Body);
                break;
        }
    }

    private static void CheckFilters(IReadOnlyList<FilterCall> filters, bool lenient)
    {
        foreach (var filter in filters)
        {
            RequireKnown(lenient, Filters.Exists(filter.Name), "filter", filter.Name, filter.Position);
            Check(filter.Arguments, lenient);
        }
    }

    private static void Check(ArgumentList arguments, bool lenient)
    {
        foreach (var value in arguments.Positional) Check(value, lenient);
        foreach (var (_, value) in arguments.Named) Check(value, lenient);
    }

    private static void Check(Expr? expr, bool lenient)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack(); // operator chains nest deeply without brackets
        switch (expr)
        {
            case null or LiteralExpr or NameExpr: break;
            case ListExpr list: CheckAll(lenient, [.. list.Items]); break;
            case TupleExpr tuple: CheckAll(lenient, [.. tuple.Items]); break;
            case DictExpr dict: CheckAll(lenient, [.. dict.Pairs.SelectMany(p => new[] { p.Key, p.Value })]); break;
            case AttributeExpr attribute: Check(attribute.Target, lenient); break;
            case ItemExpr item: CheckAll(lenient, item.Target, item.Key); break;
            case SliceExpr slice: CheckAll(lenient, slice.Target, slice.Start, slice.Stop, slice.Step); break;
            case CallExpr call: CheckOperands(call.Callee, call.Arguments, lenient); break;
            case FilterExpr filter:
                RequireKnown(lenient, Filters.Exists(filter.Name), "filter", filter.Name, filter.Position);
                CheckOperands(filter.Value, filter.Arguments, lenient);
                break;
            case TestExpr test:
                RequireKnown(lenient, Tests.Exists(test.Name), "test", test.Name, test.Position);
                CheckOperands(test.Value, test.Arguments, lenient);
                break;
            case UnaryExpr unary: Check(unary.Operand, lenient); break;
            case BinaryExpr binary: CheckAll(lenient, binary.Left, binary.Right); break;
            case ConditionalExpr conditional: CheckAll(true, conditional.Condition, conditional.Then, conditional.Otherwise); break;
        }
    }

    private static void CheckAll(bool lenient, params Expr?[] exprs)
    {
        foreach (var expr in exprs) Check(expr, lenient);
    }

    private static void CheckOperands(Expr value, ArgumentList arguments, bool lenient)
    {
        Check(value, lenient);
        Check(arguments, lenient);
    }

    private static void RequireKnown(bool lenient, bool known, string kind, string name, SourcePosition at)
    {
        if (!lenient && !known) throw TemplateException.Syntax($"No {kind} named '{name}'", at);
    }
}
