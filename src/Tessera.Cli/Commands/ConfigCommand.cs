using System.CommandLine;
using Tessera.Server.Configuration;

namespace Tessera.Cli.Commands;

/// <summary>
/// `tessera config check FILE`: validates a `tessera serve --config` file, printing each error with its line and key
/// (exit 1 when there is any). `tessera config history`: the kept versions of configs that started cleanly, newest
/// (the current one) first, for `tessera serve --config-rollback ID`.
/// </summary>
public static class ConfigCommand
{
    public static Command Create(CommandOutput output)
    {
        var command = new Command("config", "Check a server config file, or list the configs the server started with");
        command.Subcommands.Add(Check(output));
        command.Subcommands.Add(History(output));
        return command;
    }

    private static Command Check(CommandOutput output)
    {
        var file = new Argument<string>("file") { Description = "The YAML config file (tessera.yaml)" };
        var command = new Command("check", "Validate a config file for tessera serve --config");
        command.Arguments.Add(file);
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            try
            {
                var config = ServerConfigFile.Load(path);
                output.Out.WriteLine($"{path}: ok ({config.Entries.Count()} settings)");
                return TesseraCli.ExitOk;
            }
            catch (ConfigException invalid)
            {
                foreach (var error in invalid.Errors)
                    output.Error.WriteLine($"tessera: error: {path}: {error}");
                return TesseraCli.ExitError;
            }
        });
        return command;
    }

    private static Command History(CommandOutput output)
    {
        var command = new Command("history", $"List the kept config versions, newest first ({ConfigStore.FolderVariable}, default ~/.tessera/config-history)");
        command.SetAction(_ =>
        {
            var store = ConfigStore.FromEnvironment();
            var versions = store.Versions();
            if (versions.Count == 0)
                output.Error.WriteLine($"tessera: no config versions in {store.Folder} yet (each clean start of tessera serve --config adds one)");
            for (int i = 0; i < versions.Count; i++)
                output.Out.WriteLine(i == 0 ? $"{versions[i].Id}  (current)" : versions[i].Id);
            return TesseraCli.ExitOk;
        });
        return command;
    }
}
