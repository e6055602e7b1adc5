namespace Tessera.Server.Hosting;

/// <summary>A model the server can answer with: the id requests name in "model", and its GGUF file (the first part of a split model).</summary>
public sealed record ModelSource(string Id, string Path)
{
    /// <summary>Bytes of the file and its split parts: what mapping the weights costs before anything is loaded.</summary>
    public long FileBytes()
    {
        var first = new FileInfo(Path);
        if (!first.Exists)
            return 0;
        if (!Gguf.GgufSplitName.TryParse(Path, out string prefix, out _, out int count))
            return first.Length;
        long total = 0;
        for (int part = 1; part <= count; part++)
        {
            var info = new FileInfo(Gguf.GgufSplitName.Format(prefix, part, count));
            total += info.Exists ? info.Length : 0;
        }
        return total;
    }
}
