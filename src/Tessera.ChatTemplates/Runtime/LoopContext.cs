using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Runtime;

/// <summary>The <c>loop</c> variable inside a for loop: position, neighbours and <c>cycle</c>.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items, int depth)
{
    public int Index0 { get; set; }

    public object? GetAttribute(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => (long)depth,
        "depth0" => (long)depth - 1,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("loop.previtem"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : new Undefined("loop.nextitem"),
        "cycle" => new NativeFunction("loop.cycle", (_, args) => Cycle(args)),
        _ => new Undefined("loop." + name),
    };

    private object? Cycle(Arguments args)
    {
        if (args.Positional.Count == 0) throw new TemplateException("loop.cycle() needs at least one value");
        return args.Positional[Index0 % args.Positional.Count];
    }
}
