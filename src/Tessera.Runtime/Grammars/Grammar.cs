namespace Tessera.Runtime.Grammars;

/// <summary>
/// A context-free grammar compiled to bytes: every rule is a list of alternatives, each a sequence of elements that
/// are either a <see cref="ByteSet"/> (one byte) or a reference to a rule. Characters become their UTF-8 bytes (a
/// character class becomes a small rule of byte-range sequences), repetitions and groups become generated rules.
/// Refused at compile time: undefined rules, left recursion (it would never consume input) and rules that can never
/// finish. Immutable; <see cref="GrammarMatcher"/> runs it.
/// </summary>
public sealed class Grammar
{
    internal const int Unbounded = int.MaxValue / 4;

    private Grammar(GrammarElement[][] alternatives, int[][] ruleAlternatives, string[] ruleNames, int root, string source)
    {
        Alternatives = alternatives;
        RuleAlternatives = ruleAlternatives;
        RuleNames = ruleNames;
        Root = root;
        Source = source;
        RuleMinBytes = MinimumLengths(alternatives, ruleAlternatives);
        for (int rule = 0; rule < ruleNames.Length; rule++)
        {
            if (RuleMinBytes[rule] >= Unbounded)
                throw new GrammarException($"rule '{ruleNames[rule]}' can never finish: every alternative refers back to it");
        }
        MinSuffix = alternatives.Select(alt =>
        {
            var suffix = new int[alt.Length + 1];
            for (int i = alt.Length - 1; i >= 0; i--)
                suffix[i] = suffix[i + 1] + (alt[i].IsBytes ? 1 : RuleMinBytes[alt[i].Rule]);
            return suffix;
        }).ToArray();
        CheckLeftRecursion();
    }

    /// <summary>Every alternative of every rule, by alternative id.</summary>
    internal GrammarElement[][] Alternatives { get; }

    /// <summary>The alternative ids of each rule.</summary>
    internal int[][] RuleAlternatives { get; }

    internal string[] RuleNames { get; }

    internal int Root { get; }

    /// <summary>Fewest bytes a rule can match.</summary>
    internal int[] RuleMinBytes { get; }

    /// <summary>Fewest bytes from position i of an alternative to its end.</summary>
    internal int[][] MinSuffix { get; }

    /// <summary>The GBNF text the grammar was compiled from.</summary>
    public string Source { get; }

    public int RuleCount => RuleNames.Length;

    /// <summary>Compiles GBNF text; the start rule is <paramref name="root"/>.</summary>
    public static Grammar Parse(string gbnf, string root = "root")
    {
        var parsed = GbnfParser.Parse(gbnf, out var order);
        if (!parsed.ContainsKey(root))
            throw new GrammarException($"the grammar has no '{root}' rule");
        return new Builder(parsed, order).Build(root, gbnf);
    }

    private static int[] MinimumLengths(GrammarElement[][] alternatives, int[][] ruleAlternatives)
    {
        var min = Enumerable.Repeat(Unbounded, ruleAlternatives.Length).ToArray();
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int rule = 0; rule < ruleAlternatives.Length; rule++)
            {
                foreach (int alt in ruleAlternatives[rule])
                {
                    long length = 0;
                    foreach (var element in alternatives[alt])
                        length += element.IsBytes ? 1 : min[element.Rule];
                    if (length < min[rule])
                    {
                        min[rule] = (int)length;
                        changed = true;
                    }
                }
            }
        }
        return min;
    }

    /// <summary>A rule that can reach itself without consuming a byte would expand forever.</summary>
    private void CheckLeftRecursion()
    {
        // Left corners: rules an alternative may start with (everything before them can match nothing).
        var corners = new List<int>[RuleNames.Length];
        for (int rule = 0; rule < RuleNames.Length; rule++)
        {
            corners[rule] = [];
            foreach (int alt in RuleAlternatives[rule])
            {
                foreach (var element in Alternatives[alt])
                {
                    if (element.IsBytes)
                        break;
                    corners[rule].Add(element.Rule);
                    if (RuleMinBytes[element.Rule] > 0)
                        break;
                }
            }
        }
        var state = new byte[RuleNames.Length]; // 0 unseen, 1 on the path, 2 done
        for (int rule = 0; rule < RuleNames.Length; rule++)
            Visit(rule);

        void Visit(int rule)
        {
            if (state[rule] == 2)
                return;
            if (state[rule] == 1)
                throw new GrammarException($"rule '{RuleNames[rule]}' is left-recursive (it can reach itself before reading anything); rewrite it with repetition");
            state[rule] = 1;
            foreach (int next in corners[rule])
                Visit(next);
            state[rule] = 2;
        }
    }

    /// <summary>Lowers parsed rules to byte elements, generating rules for classes, groups and repetitions.</summary>
    private sealed class Builder(Dictionary<string, GbnfNode.Alternatives> parsed, List<string> order)
    {
        private readonly List<string> _names = [];
        private readonly List<List<GrammarElement[]>> _rules = [];
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
        private readonly Dictionary<GbnfNode.Class, int> _classes = [];

        public Grammar Build(string root, string source)
        {
            foreach (string name in order)
                Declare(name);
            foreach (string name in order)
                _rules[_ids[name]] = Lower(parsed[name], name);
            var alternatives = new List<GrammarElement[]>();
            var ruleAlternatives = new int[_rules.Count][];
            for (int rule = 0; rule < _rules.Count; rule++)
            {
                ruleAlternatives[rule] = new int[_rules[rule].Count];
                for (int i = 0; i < _rules[rule].Count; i++)
                {
                    ruleAlternatives[rule][i] = alternatives.Count;
                    alternatives.Add(_rules[rule][i]);
                }
            }
            return new Grammar([.. alternatives], ruleAlternatives, [.. _names], _ids[root], source);
        }

        private int Declare(string name)
        {
            _ids[name] = _names.Count;
            _names.Add(name);
            _rules.Add([]);
            return _ids[name];
        }

        private int NewRule(string owner, List<GrammarElement[]> alternatives)
        {
            int id = Declare($"{owner}~{_names.Count}");
            _rules[id] = alternatives;
            return id;
        }

        private List<GrammarElement[]> Lower(GbnfNode.Alternatives node, string owner) =>
            node.Sequences.Select(sequence => Sequence(sequence, owner)).ToList();

        private GrammarElement[] Sequence(List<GbnfNode> items, string owner)
        {
            var elements = new List<GrammarElement>();
            foreach (var item in items)
                Append(item, owner, elements);
            return [.. elements];
        }

        private void Append(GbnfNode item, string owner, List<GrammarElement> elements)
        {
            switch (item)
            {
                case GbnfNode.Literal literal:
                    foreach (byte b in literal.Bytes)
                        elements.Add(GrammarElement.Of(ByteSet.Single(b)));
                    break;
                case GbnfNode.Class cls:
                    elements.Add(Class(cls, owner));
                    break;
                case GbnfNode.Reference reference:
                    if (!_ids.TryGetValue(reference.Name, out int id) || !parsed.ContainsKey(reference.Name))
                        throw new GrammarException($"line {reference.Line}: rule '{reference.Name}' is not defined");
                    elements.Add(GrammarElement.Of(id));
                    break;
                case GbnfNode.Alternatives group when group.Sequences.Count == 1:
                    foreach (var inner in group.Sequences[0])
                        Append(inner, owner, elements);
                    break;
                case GbnfNode.Alternatives group:
                    elements.Add(GrammarElement.Of(NewRule(owner, Lower(group, owner))));
                    break;
                case GbnfNode.Repeat repeat:
                    AppendRepeat(repeat, owner, elements);
                    break;
            }
        }

        /// <summary>x{m,n}: m copies of x, then n-m nested optional copies; x{m,}: m copies, then a rule for x*.</summary>
        private void AppendRepeat(GbnfNode.Repeat repeat, string owner, List<GrammarElement> elements)
        {
            var one = new List<GrammarElement>();
            Append(repeat.Item, owner, one);
            GrammarElement[] item = [.. one];
            for (int i = 0; i < repeat.Min; i++)
                elements.AddRange(item);
            if (repeat.Max < 0)
            {
                int star = Declare($"{owner}~{_names.Count}");
                _rules[star] = [[.. item, GrammarElement.Of(star)], []];
                elements.Add(GrammarElement.Of(star));
                return;
            }
            int optional = -1;
            for (int i = repeat.Min; i < repeat.Max; i++)
            {
                GrammarElement[] more = optional < 0 ? item : [.. item, GrammarElement.Of(optional)];
                optional = NewRule(owner, [more, []]);
            }
            if (optional >= 0)
                elements.Add(GrammarElement.Of(optional));
        }

        /// <summary>A class of ASCII characters is one byte set; any other becomes a rule of UTF-8 byte-range sequences.</summary>
        private GrammarElement Class(GbnfNode.Class cls, string owner)
        {
            var ranges = cls.Negated ? Complement(cls.Ranges) : cls.Ranges;
            if (ranges.All(r => r.High <= 0x7F))
            {
                var set = default(ByteSet);
                foreach (var (low, high) in ranges)
                    set = set.Union(ByteSet.Range(low, high));
                return GrammarElement.Of(set);
            }
            if (_classes.TryGetValue(cls, out int known))
                return GrammarElement.Of(known);
            var sequences = new List<(byte Low, byte High)[]>();
            foreach (var (low, high) in ranges)
                Utf8Ranges.Append(low, high, sequences);
            // Single-byte pieces merge into one set.
            var ascii = default(ByteSet);
            var alternatives = new List<GrammarElement[]>();
            foreach (var sequence in sequences)
            {
                if (sequence.Length == 1)
                    ascii = ascii.Union(ByteSet.Range(sequence[0].Low, sequence[0].High));
                else
                    alternatives.Add(sequence.Select(r => GrammarElement.Of(ByteSet.Range(r.Low, r.High))).ToArray());
            }
            if (!ascii.IsEmpty)
                alternatives.Insert(0, [GrammarElement.Of(ascii)]);
            int id = NewRule(owner, alternatives);
            _classes[cls] = id;
            return GrammarElement.Of(id);
        }

        private static List<(int Low, int High)> Complement(List<(int Low, int High)> ranges)
        {
            var result = new List<(int, int)>();
            int next = 0;
            foreach (var (low, high) in ranges.OrderBy(r => r.Low))
            {
                if (low > next)
                    result.Add((next, low - 1));
                next = Math.Max(next, high + 1);
            }
            if (next <= Utf8Ranges.MaxScalar)
                result.Add((next, Utf8Ranges.MaxScalar));
            return result;
        }
    }
}

/// <summary>One element of an alternative: a byte set, or (when <see cref="Rule"/> is not negative) a rule.</summary>
internal readonly struct GrammarElement
{
    private GrammarElement(ByteSet bytes, int rule) => (Bytes, Rule) = (bytes, rule);

    public ByteSet Bytes { get; }
    public int Rule { get; }
    public bool IsBytes => Rule < 0;

    public static GrammarElement Of(ByteSet bytes) => new(bytes, -1);

    public static GrammarElement Of(int rule) => new(default, rule);
}
