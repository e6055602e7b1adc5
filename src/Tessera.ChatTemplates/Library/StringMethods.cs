using System.Text;
using Tessera.ChatTemplates.Runtime;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Library;

/// <summary>Python str methods that chat templates call: strip, split, startswith, replace, format, ...</summary>
internal static class StringMethods
{
    /// <summary>Python's str.isspace: .NET white space plus the separators U+001C..U+001F.</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    public static Func<Evaluator, Arguments, object?>? Find(string s, string name) => name switch
    {
        "strip" => (_, args) => Strip(s, Chars(args, "strip"), true, true),
        "lstrip" => (_, args) => Strip(s, Chars(args, "lstrip"), true, false),
        "rstrip" => (_, args) => Strip(s, Chars(args, "rstrip"), false, true),
        "startswith" => (_, args) => Affix(s, args.Expect("startswith", "prefix").Get(0, "prefix"), (text, p) => text.StartsWith(p, StringComparison.Ordinal)),
        "endswith" => (_, args) => Affix(s, args.Expect("endswith", "suffix").Get(0, "suffix"), (text, p) => text.EndsWith(p, StringComparison.Ordinal)),
        "split" => (evaluator, args) => Split(evaluator, s, args.Expect("split", "sep", "maxsplit"), fromRight: false),
        "rsplit" => (evaluator, args) => Split(evaluator, s, args.Expect("rsplit", "sep", "maxsplit"), fromRight: true),
        "splitlines" => (_, _) => SplitLines(s),
        "replace" => (evaluator, args) => Replace(evaluator, s, args.Expect("replace", "old", "new", "count")),
        "upper" => (_, _) => s.ToUpperInvariant(),
        "lower" => (_, _) => s.ToLowerInvariant(),
        "title" => (_, _) => Title(s),
        "capitalize" => (_, _) => Capitalize(s),
        "swapcase" => (_, _) => string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c))),
        "find" => (_, args) => (long)s.IndexOf(Text(args.Expect("find", "sub").Get(0, "sub")), StringComparison.Ordinal),
        "rfind" => (_, args) => (long)s.LastIndexOf(Text(args.Expect("rfind", "sub").Get(0, "sub")), StringComparison.Ordinal),
        "count" => (evaluator, args) =>
        {
            var count = Count(s, Text(args.Expect("count", "sub").Get(0, "sub")));
            evaluator.Step(count);
            return count;
        },
        "join" => (evaluator, args) => evaluator.CheckSize(string.Join(s, evaluator.ToList(args.Expect("join", "iterable").Get(0, "iterable")).Select(Text))),
        "format" => (evaluator, args) => evaluator.CheckSize(Format(s, args)),
        "isdigit" => (_, _) => s.Length > 0 && s.All(char.IsDigit),
        "isalpha" => (_, _) => s.Length > 0 && s.All(char.IsLetter),
        "isalnum" => (_, _) => s.Length > 0 && s.All(char.IsLetterOrDigit),
        "isspace" => (_, _) => s.Length > 0 && s.All(IsSpace),
        "islower" => (_, _) => s.Any(char.IsLetter) && !s.Any(char.IsUpper),
        "isupper" => (_, _) => s.Any(char.IsLetter) && !s.Any(char.IsLower),
        _ => null,
    };

    private static string Text(object? value) => value as string
        ?? throw new TemplateException($"expected a string, not {PythonTypes.NameOf(value)}");

    private static string? Chars(Arguments args, string name) => args.Expect(name, "chars").GetString(0, "chars");

    public static string Strip(string s, string? chars, bool left, bool right)
    {
        Func<char, bool> strip = chars is null ? IsSpace : chars.Contains;
        int start = 0, end = s.Length;
        if (left) while (start < end && strip(s[start])) start++;
        if (right) while (end > start && strip(s[end - 1])) end--;
        return s[start..end];
    }

    private static bool Affix(string s, object? affix, Func<string, string, bool> test) => affix switch
    {
        string text => test(s, text),
        object?[] options => options.Any(o => test(s, Text(o))),
        _ => throw new TemplateException($"startswith/endswith first arg must be str or a tuple of str, not {PythonTypes.NameOf(affix)}"),
    };

    private static List<object?> Split(Evaluator evaluator, string s, Arguments args, bool fromRight)
    {
        var separator = args.GetString(0, "sep");
        var maxSplit = args.GetInteger(1, "maxsplit", -1);
        if (separator is "") throw new TemplateException("empty separator");
        evaluator.Step(separator is null ? s.Length / 8 : Count(s, separator)); // charge the parts before making them
        var parts = separator is null ? SplitOnSpace(s) : s.Split(separator).ToList();
        if (maxSplit < 0 || parts.Count - 1 <= maxSplit) return parts.Cast<object?>().ToList();

        // Re-join the parts beyond maxsplit, on the side the split started from the other end.
        var joiner = separator ?? " ";
        var keep = (int)maxSplit;
        if (separator is null) return SplitOnSpaceLimited(s, keep, fromRight);
        return fromRight
            ? [string.Join(joiner, parts.Take(parts.Count - keep)), .. parts.Skip(parts.Count - keep)]
            : [.. parts.Take(keep), string.Join(joiner, parts.Skip(keep))];
    }

    /// <summary>Python's str.splitlines: every line boundary (\r\n counts once), no empty last line.</summary>
    private static List<object?> SplitLines(string s)
    {
        var lines = new List<object?>();
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] is not ('\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')) continue;
            lines.Add(s[start..i]);
            if (s[i] == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
            start = i + 1;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    private static List<string> SplitOnSpace(string s)
    {
        var parts = new List<string>();
        var i = 0;
        while (true)
        {
            while (i < s.Length && IsSpace(s[i])) i++;
            if (i >= s.Length) return parts;
            var start = i;
            while (i < s.Length && !IsSpace(s[i])) i++;
            parts.Add(s[start..i]);
        }
    }

    private static List<object?> SplitOnSpaceLimited(string s, int maxSplit, bool fromRight)
    {
        var parts = new List<object?>();
        var rest = fromRight ? Strip(s, null, false, true) : Strip(s, null, true, false);
        for (var n = 0; n < maxSplit && rest.Length > 0; n++)
        {
            var at = fromRight ? rest.LastIndexOfAny(SpaceChars(rest)) : rest.IndexOfAny(SpaceChars(rest));
            if (at < 0) break;
            if (fromRight)
            {
                parts.Insert(0, rest[(at + 1)..]);
                rest = Strip(rest[..at], null, false, true);
            }
            else
            {
                parts.Add(rest[..at]);
                rest = Strip(rest[(at + 1)..], null, true, false);
            }
        }
        if (rest.Length > 0)
        {
            if (fromRight) parts.Insert(0, rest);
            else parts.Add(rest);
        }
        return parts;
    }

    private static char[] SpaceChars(string s) => s.Where(IsSpace).Distinct().ToArray();

    private static string Replace(Evaluator evaluator, string s, Arguments args)
    {
        var old = Text(args.Get(0, "old"));
        var replacement = Text(args.Get(1, "new"));
        var count = args.GetInteger(2, "count", -1);
        if (count < 0)
        {
            var occurrences = old.Length == 0 ? s.Length + 1 : Count(s, old);
            evaluator.Step(occurrences); // each match costs about as much as a statement
            evaluator.CheckSize(s.Length + occurrences * (long)(replacement.Length - old.Length));
            return old.Length == 0 ? replacement + string.Join(replacement, s.ToCharArray()) + (s.Length > 0 ? replacement : "") : s.Replace(old, replacement, StringComparison.Ordinal);
        }
        var sb = new StringBuilder();
        var pos = 0;
        for (var n = 0; n < count; n++)
        {
            var at = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (at < 0 || old.Length == 0) break;
            evaluator.Step();
            sb.Append(s, pos, at - pos).Append(replacement);
            evaluator.CheckSize(sb.Length);
            pos = at + old.Length;
        }
        return evaluator.CheckSize(sb.Append(s, pos, s.Length - pos).ToString());
    }

    private static long Count(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        long count = 0;
        for (var at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    /// <summary>Python's str.title: a letter after a non-letter is upper case, other letters lower case.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var previousIsLetter = false;
        foreach (var c in s)
        {
            sb.Append(previousIsLetter ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousIsLetter = char.IsLetter(c);
        }
        return sb.ToString();
    }

    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>str.format with <c>{}</c>, <c>{0}</c> and <c>{name}</c> fields (format specs are not supported).</summary>
    private static string Format(string s, Arguments args)
    {
        var sb = new StringBuilder();
        var next = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if ((c == '{' || c == '}') && i + 1 < s.Length && s[i + 1] == c)
            {
                sb.Append(c);
                i++;
                continue;
            }
            if (c != '{')
            {
                sb.Append(c);
                continue;
            }
            var close = s.IndexOf('}', i);
            if (close < 0) throw new TemplateException("Single '{' encountered in format string");
            var field = s[(i + 1)..close];
            if (field.Contains(':') || field.Contains('!')) throw new TemplateException("Format specifications are not supported in str.format");
            object? value;
            if (field.Length == 0) value = args.Get(next++, "\0");
            else if (int.TryParse(field, out var index)) value = args.Get(index, "\0");
            else value = args.Get(-1, field, new Undefined(field));
            if (value is Undefined && !args.Has(-1, field) && field.Length > 0 && !int.TryParse(field, out _))
                throw new TemplateException($"KeyError: '{field}'");
            sb.Append(PythonFormat.ToStr(value));
            i = close;
        }
        return sb.ToString();
    }
}
