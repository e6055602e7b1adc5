namespace Tessera.Cli;

public static class TesseraCli
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("tessera: not implemented yet");
        return 1;
    }
}
