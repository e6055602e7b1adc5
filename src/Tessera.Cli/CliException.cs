namespace Tessera.Cli;

/// <summary>A mistake in how a command was called (bad argument, unsupported type): printed as one line, exit code 1.</summary>
public sealed class CliException(string message) : Exception(message);
