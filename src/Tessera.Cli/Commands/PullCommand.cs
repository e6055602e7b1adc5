using System.CommandLine;
using Tessera.Cli.Store;

namespace Tessera.Cli.Commands;

/// <summary>`tessera pull MODEL [--revision REV]`: downloads a GGUF model from the Hugging Face hub (or a URL) into the model store.</summary>
public static class PullCommand
{
    public static Command Create(CommandOutput output)
    {
        var model = new Argument<string>("model")
        {
            Description = "hf.co/OWNER/REPO[:QUANT] (default Q4_K_M, else the smallest 4-bit file), OWNER/REPO/FILE.gguf, or an https:// URL of a .gguf file",
        };
        var revision = new Option<string>("--revision") { Description = "Branch, tag or commit of the hub repository", DefaultValueFactory = _ => ModelPuller.DefaultRevision };
        var command = new Command("pull", $"Download a model into the store ({StoreSettings.ModelsVariable}, default ~/.tessera/models); reruns resume");
        command.Arguments.Add(model);
        command.Options.Add(revision);
        command.SetAction(parse =>
        {
            string rev = parse.GetValue(revision)!;
            if (rev.Length == 0 || rev.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
                throw new CliException($"'{rev}' is not a revision: give a branch, tag or commit");
            // Ctrl+C (SIGINT) stops the download cleanly: what arrived stays in the .partial for the rerun to continue.
            using var interrupt = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                interrupt.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            StoreEntry entry;
            try
            {
                entry = new ModelPuller(StoreSettings.Current, output) { Revision = rev }.Pull(parse.GetValue(model)!, interrupt.Token);
            }
            catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
            {
                throw new CliException("interrupted; the bytes downloaded so far are kept: run the same tessera pull to resume");
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            output.Out.WriteLine(entry.Name);
            return TesseraCli.ExitOk;
        });
        return command;
    }
}
