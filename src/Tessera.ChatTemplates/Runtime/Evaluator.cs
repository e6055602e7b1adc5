using System.Runtime.CompilerServices;
using System.Text;
using Tessera.ChatTemplates.Library;
using Tessera.ChatTemplates.Syntax;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Runtime;

/// <summary>
/// Runs a parsed template against variables (statements here, expressions in Evaluator.Expressions.cs),
/// enforcing the render limits: output size, evaluation steps and macro call depth.
/// </summary>
internal sealed partial class Evaluator
{
    private enum Flow { Normal, Break, Continue }

    private readonly TemplateOptions _options;
    private StringBuilder _output = new();
    private Scope _scope;
    private long _steps;
    private int _callDepth;

    public Evaluator(Scope variables, TemplateOptions options)
    {
        _options = options;
        _scope = new Scope(variables);
    }

    public TemplateOptions Options => _options;

    public string Render(IReadOnlyList<Stmt> template)
    {
        ExecuteAll(template);
        return _output.ToString();
    }

    /// <summary>Counts evaluation work; throws once the step limit is passed.</summary>
    public void Step(long count = 1)
    {
        // Compare before adding: a huge count must not overflow the counter.
        if (count > _options.MaxSteps - _steps || (_steps += count) > _options.MaxSteps)
            throw new TemplateException($"Template exceeded the limit of {_options.MaxSteps} evaluation steps (MaxSteps)", TemplateErrorKind.Limit);
    }

    /// <summary>Guards every string or list the template builds against the output size limit.</summary>
    public void CheckSize(long length)
    {
        if (length > _options.MaxOutputLength)
            throw new TemplateException($"Template output exceeds the limit of {_options.MaxOutputLength} characters (MaxOutputLength)", TemplateErrorKind.Limit);
    }

    public string CheckSize(string text)
    {
        CheckSize(text.Length);
        return text;
    }

    private void Write(string text)
    {
        ChargeForSize(text);
        CheckSize((long)_output.Length + text.Length);
        _output.Append(text);
    }

    private Flow ExecuteAll(IReadOnlyList<Stmt> body)
    {
        foreach (var stmt in body)
        {
            var flow = Execute(stmt);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow Execute(Stmt stmt)
    {
        Step();
        RuntimeHelpers.EnsureSufficientExecutionStack();
        try
        {
            switch (stmt)
            {
                case TextStmt text: Write(text.Text); break;
                case OutputStmt output: Write(PythonFormat.ToStr(Eval(output.Value))); break;
                case IfStmt ifStmt: return ExecuteIf(ifStmt);
                case ForStmt forStmt: return ExecuteFor(forStmt);
                case SetStmt set: Assign(set.Target, Eval(set.Value)); break;
                case SetBlockStmt setBlock: Assign(setBlock.Target, ApplyFilters(Capture(setBlock.Body), setBlock.Filters)); break;
                case MacroStmt macro: _scope.Set(macro.Name, new Macro(macro, _scope)); break;
                case CallBlockStmt call: Write(PythonFormat.ToStr(ExecuteCallBlock(call))); break;
                case FilterBlockStmt filter: Write(PythonFormat.ToStr(ApplyFilters(Capture(filter.Body), filter.Filters))); break;
                case BreakStmt: return Flow.Break;
                case ContinueStmt: return Flow.Continue;
                default: throw new TemplateException($"Unsupported statement {stmt.GetType().Name}");
            }
            return Flow.Normal;
        }
        catch (TemplateException e) when (e.Line == 0)
        {
            throw e.WithPosition(stmt.Position);
        }
    }

    private Flow ExecuteIf(IfStmt stmt)
    {
        foreach (var (condition, body) in stmt.Branches)
        {
            if (PythonValues.IsTruthy(Eval(condition))) return ExecuteAll(body);
        }
        return stmt.Else is null ? Flow.Normal : ExecuteAll(stmt.Else);
    }

    /// <summary>
    /// Each iteration runs in a fresh scope over the outer one: a <c>set</c> in the body is seen neither by the
    /// next iteration nor after the loop (Jinja's rule; namespaces carry state across iterations).
    /// </summary>
    private Flow ExecuteFor(ForStmt stmt)
    {
        var items = ToList(Eval(stmt.Iterable));
        var outer = _scope;
        try
        {
            if (stmt.Filter is not null)
            {
                _scope = new Scope(outer);
                items = items.Where(item =>
                {
                    Bind(stmt.Targets, item);
                    return PythonValues.IsTruthy(Eval(stmt.Filter));
                }).ToList();
            }
            var loop = new LoopContext(items);
            for (var i = 0; i < items.Count; i++)
            {
                Step();
                _scope = new Scope(outer);
                loop.Index0 = i;
                Bind(stmt.Targets, items[i]);
                _scope.Set("loop", loop);
                if (ExecuteAll(stmt.Body) == Flow.Break) break;
            }
        }
        finally
        {
            _scope = outer;
        }
        return items.Count == 0 && stmt.Else is not null ? ExecuteAll(stmt.Else) : Flow.Normal;
    }

    private void Bind(IReadOnlyList<string> names, object? value)
    {
        if (names.Count == 1)
        {
            _scope.Set(names[0], value);
            return;
        }
        var parts = value is string or List<object?> or object?[] ? ToList(value) : null;
        if (parts is null) throw new TemplateException($"cannot unpack non-iterable {PythonTypes.NameOf(value)} object");
        if (parts.Count != names.Count)
            throw new TemplateException($"cannot unpack {parts.Count} values into {names.Count} names");
        for (var i = 0; i < names.Count; i++) _scope.Set(names[i], parts[i]);
    }

    private void Assign(AssignTarget target, object? value)
    {
        if (!target.IsNamespaceAttribute)
        {
            Bind(target.Names, value);
            return;
        }
        if (!_scope.TryGet(target.Names[0], out var owner) || owner is not Namespace ns)
            throw new TemplateException($"Cannot assign attribute '{target.Attribute}' on '{target.Names[0]}': it is not a namespace");
        ns.Attributes.Set(target.Attribute!, value);
    }

    /// <summary>Runs <paramref name="body"/> and returns what it printed instead of printing it.</summary>
    private string Capture(IReadOnlyList<Stmt> body)
    {
        var outer = _output;
        _output = new StringBuilder();
        try
        {
            ExecuteAll(body);
            return _output.ToString();
        }
        finally
        {
            _output = outer;
        }
    }

    private object? ApplyFilters(object? value, IReadOnlyList<FilterCall> filters)
    {
        foreach (var filter in filters)
        {
            try
            {
                value = Filters.Apply(this, filter.Name, value, EvaluateArguments(filter.Arguments));
            }
            catch (TemplateException e) when (e.Line == 0)
            {
                throw e.WithPosition(filter.Position);
            }
        }
        return value;
    }

    private object? ExecuteCallBlock(CallBlockStmt stmt)
    {
        if (Eval(stmt.Call.Callee) is not Macro macro) throw new TemplateException("A call block must call a macro");
        var caller = new Macro(new MacroStmt(stmt.Position, "caller", stmt.CallerParameters, stmt.Body, false, false), _scope);
        return CallMacro(macro.WithCaller(caller), EvaluateArguments(stmt.Call.Arguments));
    }

    /// <summary>Binds arguments to parameters in a fresh scope over the macro's closure and captures the body's output.</summary>
    public object? CallMacro(Macro macro, Arguments arguments)
    {
        if (++_callDepth > _options.MaxDepth)
        {
            _callDepth--;
            throw new TemplateException($"Macro calls nest deeper than the limit of {_options.MaxDepth} (MaxDepth)", TemplateErrorKind.Limit);
        }
        Step();
        var outer = _scope;
        _scope = new Scope(macro.Closure);
        try
        {
            BindParameters(macro, arguments);
            return Capture(macro.Definition.Body);
        }
        finally
        {
            _scope = outer;
            _callDepth--;
        }
    }

    private void BindParameters(Macro macro, Arguments arguments)
    {
        var definition = macro.Definition;
        var parameters = definition.Parameters;
        if (arguments.Positional.Count > parameters.Count && !definition.TakesVarargs)
            throw new TemplateException($"macro '{macro.Name}' takes not more than {parameters.Count} argument(s)");
        var kwargs = new TemplateDict();
        foreach (var (name, value) in arguments.Named)
        {
            if (parameters.Any(p => p.Name == name)) continue;
            if (!definition.TakesKwargs) throw new TemplateException($"macro '{macro.Name}' takes no keyword argument '{name}'");
            kwargs.Set(name, value);
        }
        for (var i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters[i];
            object? value;
            if (arguments.Has(i, parameter.Name)) value = arguments.Get(i, parameter.Name);
            else if (parameter.Default is not null) value = Eval(parameter.Default);
            else value = new Undefined(parameter.Name);
            _scope.Set(parameter.Name, value);
        }
        _scope.Set("varargs", arguments.Positional.Skip(parameters.Count).ToList());
        _scope.Set("kwargs", kwargs);
        if (macro.Caller is not null) _scope.Set("caller", macro.Caller);
    }
}
