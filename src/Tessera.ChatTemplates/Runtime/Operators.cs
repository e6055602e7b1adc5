using System.Text;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Runtime;

/// <summary>Python semantics of the binary and unary operators (int stays int, / gives float, % follows the divisor).</summary>
internal static class Operators
{
    public static object? Binary(Evaluator evaluator, string op, object? left, object? right)
    {
        if (op is "==" or "!=" or "in" or "not in" or "~")
        {
            evaluator.ChargeForSize(left); // equality, membership and printing scan their operands
            evaluator.ChargeForSize(right);
        }
        switch (op)
        {
            case "==": return PythonValues.AreEqual(left, right);
            case "!=": return !PythonValues.AreEqual(left, right);
            case "<": return PythonValues.Compare(left, right) < 0;
            case "<=": return PythonValues.Compare(left, right) <= 0;
            case ">": return PythonValues.Compare(left, right) > 0;
            case ">=": return PythonValues.Compare(left, right) >= 0;
            case "in": return Contains(right, left);
            case "not in": return !Contains(right, left);
            case "~": return evaluator.CheckSize(PythonFormat.ToStr(left) + PythonFormat.ToStr(right));
        }
        if (left is Undefined undefinedLeft) throw undefinedLeft.Error();
        if (right is Undefined undefinedRight) throw undefinedRight.Error();
        try
        {
            return op switch
            {
                "+" => Add(evaluator, left, right),
                "-" => Arithmetic(op, left, right, (a, b) => checked(a - b), (a, b) => a - b),
                "*" => Multiply(evaluator, left, right),
                "/" => Divide(left, right),
                "//" => Arithmetic(op, left, right, FloorDivide, (a, b) => Math.Floor(a / NonZero(b))),
                "%" => left is string format
                    ? evaluator.CheckSize(Library.PrintfFormat.Format(format, right))
                    : Arithmetic(op, left, right, Modulo, (a, b) => FloatModulo(a, NonZero(b))),
                "**" => Power(left, right),
                _ => throw new TemplateException($"Unknown operator '{op}'"),
            };
        }
        catch (OverflowException)
        {
            throw new TemplateException($"Integer overflow in '{op}'");
        }
    }

    private static TemplateException Unsupported(string op, object? left, object? right) =>
        new($"unsupported operand type(s) for {op}: '{PythonTypes.NameOf(left)}' and '{PythonTypes.NameOf(right)}'");

    private static object Arithmetic(string op, object? left, object? right, Func<long, long, long> integers, Func<double, double, double> floats)
    {
        if (PythonValues.TryGetInteger(left, out var la) && PythonValues.TryGetInteger(right, out var lb)) return integers(la, lb);
        if (PythonValues.TryGetNumber(left, out var da) && PythonValues.TryGetNumber(right, out var db)) return floats(da, db);
        throw Unsupported(op, left, right);
    }

    private static object? Add(Evaluator evaluator, object? left, object? right)
    {
        switch (left, right)
        {
            case (string a, string b):
                evaluator.CheckSize((long)a.Length + b.Length);
                return a + b;
            case (List<object?> a, List<object?> b):
                evaluator.CheckSize((long)a.Count + b.Count);
                return a.Concat(b).ToList();
            case (object?[] a, object?[] b):
                evaluator.CheckSize((long)a.Length + b.Length);
                return a.Concat(b).ToArray();
            case (string, _) or (_, string):
                throw new TemplateException($"can only concatenate str (not \"{PythonTypes.NameOf(left is string ? right : left)}\") to str");
        }
        return Arithmetic("+", left, right, (a, b) => checked(a + b), (a, b) => a + b);
    }

    private static object? Multiply(Evaluator evaluator, object? left, object? right)
    {
        if (PythonValues.TryGetInteger(right, out var times) && left is string or List<object?>) return Repeat(evaluator, left, times);
        if (PythonValues.TryGetInteger(left, out times) && right is string or List<object?>) return Repeat(evaluator, right, times);
        return Arithmetic("*", left, right, (a, b) => checked(a * b), (a, b) => a * b);
    }

    private static object Repeat(Evaluator evaluator, object? value, long times)
    {
        times = Math.Max(0, times);
        if (value is "" or List<object?> { Count: 0 }) return value is string ? "" : new List<object?>();
        if (value is string s)
        {
            evaluator.CheckSize(s.Length * Math.Min(times, int.MaxValue));
            return new StringBuilder(s.Length * (int)times).Insert(0, s, (int)times).ToString();
        }
        var list = (List<object?>)value!;
        evaluator.CheckSize(list.Count * Math.Min(times, int.MaxValue));
        var result = new List<object?>(list.Count * (int)times);
        for (var i = 0; i < times; i++) result.AddRange(list);
        return result;
    }

    private static object Divide(object? left, object? right)
    {
        if (PythonValues.TryGetNumber(left, out var a) && PythonValues.TryGetNumber(right, out var b)) return a / NonZero(b);
        throw Unsupported("/", left, right);
    }

    private static double NonZero(double divisor) =>
        divisor == 0 ? throw new TemplateException("division by zero") : divisor;

    private static long FloorDivide(long a, long b)
    {
        if (b == 0) throw new TemplateException("integer division or modulo by zero");
        var quotient = checked(a / b);
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient;
    }

    private static long Modulo(long a, long b)
    {
        if (b == 0) throw new TemplateException("integer division or modulo by zero");
        if (b == -1) return 0;
        var remainder = a % b;
        return remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder;
    }

    private static double FloatModulo(double a, double b)
    {
        var remainder = a % b;
        return remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder;
    }

    private static object Power(object? left, object? right)
    {
        if (PythonValues.TryGetInteger(left, out var a) && PythonValues.TryGetInteger(right, out var b) && b >= 0)
        {
            long result = 1, power = a; // exponentiation by squaring: O(log b) checked multiplications
            while (b > 0)
            {
                if ((b & 1) == 1) result = checked(result * power);
                b >>= 1;
                if (b > 0) power = checked(power * power);
            }
            return result;
        }
        if (PythonValues.TryGetNumber(left, out var x) && PythonValues.TryGetNumber(right, out var y))
        {
            if (x == 0 && y < 0) throw new TemplateException("0.0 cannot be raised to a negative power");
            return Math.Pow(x, y);
        }
        throw Unsupported("**", left, right);
    }

    public static object Negate(object? value) => value switch
    {
        bool b => (object)(b ? -1L : 0L), // (object): keep int and float apart in the switch's type
        long l => l == long.MinValue ? throw new TemplateException("Integer overflow in '-'") : -l,
        double d => -d,
        Undefined u => throw u.Error(),
        _ => throw new TemplateException($"bad operand type for unary -: '{PythonTypes.NameOf(value)}'"),
    };

    public static object Plus(object? value) => value switch
    {
        bool b => (object)(b ? 1L : 0L),
        long or double => value,
        Undefined u => throw u.Error(),
        _ => throw new TemplateException($"bad operand type for unary +: '{PythonTypes.NameOf(value)}'"),
    };

    /// <summary>Python's <c>item in container</c>.</summary>
    public static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string sub
            ? s.Contains(sub, StringComparison.Ordinal)
            : item is Undefined u ? throw u.Error() : throw new TemplateException($"'in <string>' requires string as left operand, not {PythonTypes.NameOf(item)}"),
        List<object?> list => list.Any(x => PythonValues.AreEqual(x, item)),
        object?[] tuple => tuple.Any(x => PythonValues.AreEqual(x, item)),
        TemplateDict dict => dict.ContainsKey(item),
        RangeValue range => PythonValues.TryGetInteger(item, out var n) && RangeContains(range, n),
        Undefined => false,
        _ => throw new TemplateException($"argument of type '{PythonTypes.NameOf(container)}' is not iterable"),
    };

    private static bool RangeContains(RangeValue range, long n)
    {
        if (range.Count == 0) return false;
        var offset = n - range.Start;
        return offset % range.Step == 0 && offset / range.Step >= 0 && offset / range.Step < range.Count;
    }
}
