using Tessera.Gguf;

namespace Tessera.Cli;

/// <summary>Opens model files given on the command line with errors a user can act on.</summary>
public static class ModelFiles
{
    public static GgufFile OpenGguf(string path, GgufLoadMode mode = GgufLoadMode.Map)
    {
        if (Directory.Exists(path))
            throw new CliException($"'{path}' is a directory, expected a .gguf file");
        if (!File.Exists(path))
            throw new CliException($"'{path}': no such file");
        return GgufFile.Open(path, mode);
    }
}
