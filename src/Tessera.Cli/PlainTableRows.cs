using Spectre.Console;
using Spectre.Console.Rendering;

namespace Tessera.Cli;

/// <summary>Table rows of plain text: model data (shapes like "[64, 512]", token strings) is never parsed as markup.</summary>
public static class PlainTableRows
{
    public static Table AddTextRow(this Table table, params string[] cells) =>
        table.AddRow(cells.Select(c => (IRenderable)new Text(c)));
}
