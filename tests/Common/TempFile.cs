namespace Tessera.Testing;

/// <summary>A file path in the temp folder that is deleted when disposed.</summary>
public sealed class TempFile : IDisposable
{
    public TempFile(string extension = ".gguf")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tessera-test-" + Guid.NewGuid().ToString("N") + extension);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { File.Delete(Path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
