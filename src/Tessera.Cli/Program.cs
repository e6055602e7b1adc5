return Tessera.Cli.TesseraCli.Run(args, Console.Out, Console.Error);
