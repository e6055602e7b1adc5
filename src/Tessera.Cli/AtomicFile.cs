namespace Tessera.Cli;

/// <summary>Writes a file under a temporary name and moves it into place only when complete, so a failure leaves nothing half-written.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<string> writeTo)
    {
        string temporary = path + ".partial";
        try
        {
            writeTo(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
