namespace Tessera.Runtime.Grammars;

/// <summary>
/// The pushdown automaton of a <see cref="Grammar"/> over bytes. A state is the set of stacks the input so far can
/// be in; a stack is a chain of positions (the top one is always at a byte set; the ones below are where to continue
/// once a rule ends). Stack nodes and states are interned, so equal states are one object and what is learnt about
/// one (its byte transitions, its token mask) is kept for every later visit: inside a JSON string every step is the
/// same state. Thread-safe (one lock); a grammar shared by requests shares its automaton.
/// </summary>
internal sealed class GrammarAutomaton
{
    /// <summary>States whose token masks are kept; older masks are dropped first.</summary>
    private const int MaxCachedMasks = 512;

    private readonly object _gate = new();
    private readonly Dictionary<(int Alt, int Index, StackNode? Parent), StackNode> _nodes = [];
    private readonly Dictionary<StateKey, GrammarState> _states = [];
    private readonly Queue<GrammarState> _masked = new();

    public GrammarAutomaton(Grammar grammar)
    {
        Grammar = grammar;
        Dead = new GrammarState([], accepting: false, id: -1, minBytes: Grammar.Unbounded);
        lock (_gate)
        {
            var stacks = new HashSet<StackNode>(ReferenceEqualityComparer.Instance);
            bool accepting = false;
            foreach (int alt in grammar.RuleAlternatives[grammar.Root])
                Expand(alt, 0, null, stacks, ref accepting);
            Start = Intern(stacks, accepting);
        }
    }

    public Grammar Grammar { get; }
    public GrammarState Start { get; }
    public GrammarState Dead { get; }

    public int StateCount
    {
        get { lock (_gate) return _states.Count; }
    }

    /// <summary>The state after one more byte (<see cref="Dead"/> when the grammar allows no such byte).</summary>
    public GrammarState Advance(GrammarState state, byte value)
    {
        if (state.Transitions[value] is { } known)
            return known;
        lock (_gate)
        {
            var stacks = new HashSet<StackNode>(ReferenceEqualityComparer.Instance);
            bool accepting = false;
            foreach (var node in state.Stacks)
            {
                var alt = Grammar.Alternatives[node.Alt];
                if (alt[node.Index].Bytes.Contains(value))
                    Expand(node.Alt, node.Index + 1, node.Parent, stacks, ref accepting);
            }
            var next = stacks.Count == 0 && !accepting ? Dead : Intern(stacks, accepting);
            state.Transitions[value] = next;
            return next;
        }
    }

    /// <summary>The token mask of a state, computed on first use and cached (least recently computed dropped first).</summary>
    public TokenMask MaskOf(GrammarState state, TokenTrie trie)
    {
        if (state.Mask is { } known && known.Trie == trie)
            return known;
        var mask = TokenMask.Compute(this, state, trie);
        lock (_gate)
        {
            state.Mask = mask;
            _masked.Enqueue(state);
            while (_masked.Count > MaxCachedMasks)
                _masked.Dequeue().Mask = null;
        }
        return mask;
    }

    /// <summary>Positions reachable from (alt, index) without reading: byte-set tops go into <paramref name="stacks"/>;
    /// reaching the end of the root sets <paramref name="accepting"/>.</summary>
    private void Expand(int alt, int index, StackNode? parent, HashSet<StackNode> stacks, ref bool accepting)
    {
        var elements = Grammar.Alternatives[alt];
        if (index == elements.Length)
        {
            if (parent is null)
                accepting = true;
            else
                Expand(parent.Alt, parent.Index, parent.Parent, stacks, ref accepting);
            return;
        }
        var element = elements[index];
        if (element.IsBytes)
        {
            stacks.Add(Node(alt, index, parent));
            return;
        }
        // A rule in last position continues straight into the parent: right recursion (x*) keeps stacks flat.
        var continuation = index + 1 == elements.Length ? parent : Node(alt, index + 1, parent);
        foreach (int child in Grammar.RuleAlternatives[element.Rule])
            Expand(child, 0, continuation, stacks, ref accepting);
    }

    private StackNode Node(int alt, int index, StackNode? parent)
    {
        if (_nodes.TryGetValue((alt, index, parent), out var node))
            return node;
        int minBytes = Grammar.MinSuffix[alt][index] + (parent?.MinBytes ?? 0);
        node = new StackNode(alt, index, parent, _nodes.Count, minBytes);
        _nodes[(alt, index, parent)] = node;
        return node;
    }

    private GrammarState Intern(HashSet<StackNode> stacks, bool accepting)
    {
        var sorted = stacks.OrderBy(node => node.Id).ToArray();
        var key = new StateKey(sorted, accepting);
        if (_states.TryGetValue(key, out var state))
            return state;
        int minBytes = accepting ? 0 : sorted.Min(node => node.MinBytes);
        state = new GrammarState(sorted, accepting, _states.Count, minBytes);
        _states[key] = state;
        return state;
    }

    private readonly struct StateKey(StackNode[] stacks, bool accepting) : IEquatable<StateKey>
    {
        private readonly int _hash = stacks.Aggregate(accepting ? 1 : 0, (hash, node) => HashCode.Combine(hash, node.Id));

        public StackNode[] Stacks { get; } = stacks;
        public bool Accepting { get; } = accepting;

        public bool Equals(StateKey other) => _hash == other._hash && Accepting == other.Accepting
            && Stacks.AsSpan().SequenceEqual(other.Stacks, ReferenceEqualityComparer.Instance);

        public override bool Equals(object? obj) => obj is StateKey other && Equals(other);

        public override int GetHashCode() => _hash;
    }
}

/// <summary>A position of an alternative, the next element to match there, and where to go on when the rule ends.</summary>
internal sealed class StackNode(int alt, int index, StackNode? parent, int id, int minBytes)
{
    public int Alt { get; } = alt;
    public int Index { get; } = index;
    public StackNode? Parent { get; } = parent;
    public int Id { get; } = id;

    /// <summary>Fewest bytes that complete the input from here.</summary>
    public int MinBytes { get; } = minBytes;
}

/// <summary>One interned automaton state.</summary>
internal sealed class GrammarState(StackNode[] stacks, bool accepting, int id, int minBytes)
{
    public StackNode[] Stacks { get; } = stacks;

    /// <summary>The input so far is a complete sentence of the grammar (it may also go on).</summary>
    public bool Accepting { get; } = accepting;
    public int Id { get; } = id;

    /// <summary>Fewest bytes that complete the input (0 when accepting).</summary>
    public int MinBytes { get; } = minBytes;

    /// <summary>Nothing can follow: accepting with no stack left.</summary>
    public bool IsComplete => Accepting && Stacks.Length == 0;

    public bool IsDead => !Accepting && Stacks.Length == 0;

    internal readonly GrammarState?[] Transitions = new GrammarState?[256];

    internal TokenMask? Mask;
}
