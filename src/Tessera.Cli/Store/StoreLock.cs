namespace Tessera.Cli.Store;

/// <summary>
/// An exclusive lock on a model folder (a `.lock` file opened with FileShare.None), held for the whole of a pull so two
/// pulls of the same model never write the same partial file. The file is left in place: deleting it on release would
/// let a waiter lock a file that is no longer the one others open.
/// </summary>
public sealed class StoreLock : IDisposable
{
    public const string FileName = ".lock";

    private readonly FileStream _stream;

    private StoreLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock, waiting up to <paramref name="timeout"/> while another pull holds it.</summary>
    public static StoreLock Acquire(string folder, TimeSpan timeout, string modelName)
    {
        string path = Path.Combine(folder, FileName);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new StoreLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (File.Exists(path))
            {
                if (DateTime.UtcNow >= deadline)
                    throw new CliException($"another tessera pull of {modelName} is running (lock {path}); wait for it to finish or try again");
                Thread.Sleep(100);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
