namespace Tessera.Testing;

/// <summary>A fresh folder in the temp folder, deleted with what it holds when disposed.</summary>
public sealed class TempFolder : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("tessera-test-");

    public string Path => _folder.FullName;

    public void Dispose()
    {
        try { _folder.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
