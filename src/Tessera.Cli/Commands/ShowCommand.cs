using System.CommandLine;
using Tessera.Cli.Store;

namespace Tessera.Cli.Commands;

/// <summary>`tessera show NAME [--tensors] [--json]`: what `tessera info` prints, for a model in the store.</summary>
public static class ShowCommand
{
    public static Command Create(CommandOutput output)
    {
        var model = new Argument<string>("model") { Description = "Store name: OWNER/REPO:QUANT, REPO when unique, or the folder name" };
        var tensors = new Option<bool>("--tensors") { Description = "List every tensor with type, shape and offset" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables" };
        var command = new Command("show", "Summarise a model in the store, as `tessera info` does");
        command.Arguments.Add(model);
        command.Options.Add(tensors);
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            string path = ModelStore.Current.ResolveModelPath(parse.GetValue(model)!);
            return InfoCommand.Print(path, output, parse.GetValue(json), parse.GetValue(tensors));
        });
        return command;
    }
}
