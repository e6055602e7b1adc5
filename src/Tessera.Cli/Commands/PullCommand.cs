using System.CommandLine;
using Tessera.Cli.Store;

namespace Tessera.Cli.Commands;

/// <summary>`tessera pull MODEL`: downloads a GGUF model from the Hugging Face hub (or a URL) into the model store.</summary>
public static class PullCommand
{
    public static Command Create(CommandOutput output)
    {
        var model = new Argument<string>("model")
        {
            Description = "hf.co/OWNER/REPO[:QUANT] (default Q4_K_M, else the smallest 4-bit file), OWNER/REPO/FILE.gguf, or an https:// URL of a .gguf file",
        };
        var command = new Command("pull", $"Download a model into the store ({StoreSettings.ModelsVariable}, default ~/.tessera/models); reruns resume");
        command.Arguments.Add(model);
        command.SetAction(parse =>
        {
            var entry = new ModelPuller(StoreSettings.Current, output).Pull(parse.GetValue(model)!);
            output.Out.WriteLine(entry.Name);
            return TesseraCli.ExitOk;
        });
        return command;
    }
}
