using System.CommandLine;
using Tessera.Cli.Store;

namespace Tessera.Cli.Commands;

/// <summary>`tessera rm NAME [-y]`: deletes a model from the store after asking (y/N on stdin) unless -y.</summary>
public static class RmCommand
{
    public static Command Create(CommandOutput output, TextReader? stdin)
    {
        var model = new Argument<string>("model") { Description = "Store name: OWNER/REPO:QUANT, REPO when unique, or the folder name" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation" };
        var command = new Command("rm", "Delete a model from the store");
        command.Arguments.Add(model);
        command.Options.Add(yes);
        command.SetAction(parse =>
        {
            var store = ModelStore.Current;
            var entry = store.Find(parse.GetValue(model)!);
            if (!parse.GetValue(yes))
            {
                output.Error.Write($"delete {entry.Name} ({Units.Bytes(entry.Size)}, {entry.Path})? [y/N] ");
                output.Error.Flush();
                string answer = ((stdin ?? Console.In).ReadLine() ?? "").Trim();
                if (!answer.Equals("y", StringComparison.OrdinalIgnoreCase) && !answer.Equals("yes", StringComparison.OrdinalIgnoreCase))
                {
                    output.Error.WriteLine("tessera: not deleted");
                    return TesseraCli.ExitError;
                }
            }
            store.Remove(entry);
            output.Error.WriteLine($"tessera: deleted {entry.Name}");
            return TesseraCli.ExitOk;
        });
        return command;
    }
}
