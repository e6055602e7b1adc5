using System.Text;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Runtime;

/// <summary>Python slices <c>value[start:stop:step]</c> of lists, tuples, strings and ranges.</summary>
internal static class Slicing
{
    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        var stepValue = OptionalInteger(step) ?? 1;
        if (stepValue == 0) throw new TemplateException("slice step cannot be zero");
        return target switch
        {
            List<object?> list => Pick(list, start, stop, stepValue),
            object?[] tuple => Pick(tuple, start, stop, stepValue).ToArray(),
            string s => SliceString(s, start, stop, stepValue),
            RangeValue range => SliceRange(range, start, stop, stepValue),
            Undefined => target,
            _ => throw new TemplateException($"'{PythonTypes.NameOf(target)}' object is not subscriptable"),
        };
    }

    private static long? OptionalInteger(object? value) => value switch
    {
        null or Undefined => null,
        _ when PythonValues.TryGetInteger(value, out var integer) => integer,
        _ => throw new TemplateException("slice indices must be integers or None"),
    };

    /// <summary>Python's slice.indices: clamps start and stop to the sequence and counts the picked items.</summary>
    public static (long Start, long Count) Indices(long length, object? start, object? stop, long step)
    {
        var (lower, upper) = step > 0 ? (0L, length) : (-1L, length - 1);
        long Clamp(long? index, long fallback)
        {
            if (index is null) return fallback;
            var i = index.Value < 0 ? index.Value + length : index.Value;
            return Math.Clamp(i, lower, upper);
        }
        var first = Clamp(OptionalInteger(start), step > 0 ? lower : upper);
        var end = Clamp(OptionalInteger(stop), step > 0 ? upper : lower);
        var count = step > 0
            ? (end > first ? (end - first - 1) / step + 1 : 0)
            : (first > end ? (first - end - 1) / -step + 1 : 0);
        return (first, count);
    }

    private static List<object?> Pick(IReadOnlyList<object?> items, object? start, object? stop, long step)
    {
        var (first, count) = Indices(items.Count, start, stop, step);
        var result = new List<object?>((int)count);
        for (long i = 0; i < count; i++) result.Add(items[(int)(first + i * step)]);
        return result;
    }

    private static string SliceString(string s, object? start, object? stop, long step)
    {
        if (step == 1 && !CodePoints.HasSurrogates(s))
        {
            var (first, count) = Indices(s.Length, start, stop, step);
            return s.Substring((int)first, (int)count);
        }
        var parts = CodePoints.Split(s);
        var sb = new StringBuilder();
        foreach (var part in Pick(parts, start, stop, step)) sb.Append((string)part!);
        return sb.ToString();
    }

    private static RangeValue SliceRange(RangeValue range, object? start, object? stop, long step)
    {
        var (first, count) = Indices(range.Count, start, stop, step);
        var newStep = range.Step * step;
        var from = range[first];
        return new RangeValue(from, from + count * newStep, newStep);
    }
}
