using System.Diagnostics;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.BF16;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The kernels kept as machine code (for instructions .NET 10 has no intrinsics for): each one's bytes must be what its
/// assembly source beside it assembles to, so a change to either cannot land without the other.
/// </summary>
public sealed class MachineCodeTests
{
    public static TheoryData<string> Sources => new("Quants/BF16/BF16PairTile.s", "Numerics/F16cConversion.s", "Quants/Panel/Int8PanelPairTile.s",
        "Quants/F16/F16cDot.s", "Quants/F16/F16cRowPanelTile.s", "Quants/RowPairTile.s", "Quants/RowTripleTile.s",
        "Quants/Nibbles/NibbleVnniTile.s", "Quants/Q8_0/Q8_0VnniDot.s");

    [BinutilsTheory]
    [MemberData(nameof(Sources))]
    public void The_bytes_are_what_the_assembly_source_assembles_to(string source)
    {
        // Each kernel's entries past the first: symbol, offset in the bytes.
        var entries = source switch
        {
            "Quants/Panel/Int8PanelPairTile.s" => new Dictionary<string, int> { ["int8_panel_pair_tile_halves"] = Quants.Panel.Int8PanelPairTile.HalvesEntry },
            "Quants/F16/F16cDot.s" => new Dictionary<string, int> { ["f16c_dot4"] = Quants.F16.F16cDot.Dot4Entry },
            "Quants/RowTripleTile.s" => new Dictionary<string, int>
            {
                ["f16_row_triple_tile_prefetch"] = Quants.RowTripleTile.F16PrefetchEntry,
                ["bf16_row_triple_tile"] = Quants.RowTripleTile.BF16Entry,
                ["bf16_row_triple_tile_prefetch"] = Quants.RowTripleTile.BF16PrefetchEntry,
                ["f32_row_triple_tile"] = Quants.RowTripleTile.F32Entry,
                ["f32_row_triple_tile_prefetch"] = Quants.RowTripleTile.F32PrefetchEntry,
            },
            "Quants/Nibbles/NibbleVnniTile.s" => new Dictionary<string, int>
            {
                ["iq4nl_vnni_tile"] = Quants.Nibbles.NibbleVnniTile.IQ4_NLEntry,
                ["q4_0_vnni_tile2"] = Quants.Nibbles.NibbleVnniTile.Q4_0Tile2Entry,
                ["iq4nl_vnni_tile2"] = Quants.Nibbles.NibbleVnniTile.IQ4_NLTile2Entry,
                ["q4_0_vnni_dot"] = Quants.Nibbles.NibbleVnniTile.Q4_0DotEntry,
                ["iq4nl_vnni_dot"] = Quants.Nibbles.NibbleVnniTile.IQ4_NLDotEntry,
            },
            "Quants/RowPairTile.s" => new Dictionary<string, int>
            {
                ["bf16_row_pair_tile4"] = Quants.RowPairTile.BF16Tile4Entry,
                ["bf16_row_pair_tile2"] = Quants.RowPairTile.BF16Tile2Entry,
                ["f16_row_pair_tile8"] = Quants.RowPairTile.F16Tile8Entry,
                ["f16_row_pair_tile4"] = Quants.RowPairTile.F16Tile4Entry,
                ["f16_row_pair_tile2"] = Quants.RowPairTile.F16Tile2Entry,
            },
            _ => [],
        };
        byte[] code = source switch
        {
            "Quants/BF16/BF16PairTile.s" => BF16PairTile.Code.ToArray(),
            "Numerics/F16cConversion.s" => F16cConversion.Code.ToArray(),
            "Quants/Panel/Int8PanelPairTile.s" => Quants.Panel.Int8PanelPairTile.Code.ToArray(),
            "Quants/F16/F16cDot.s" => Quants.F16.F16cDot.Code.ToArray(),
            "Quants/F16/F16cRowPanelTile.s" => Quants.F16.F16cRowPanelTile.Code.ToArray(),
            "Quants/RowTripleTile.s" => Quants.RowTripleTile.Code.ToArray(),
            "Quants/RowPairTile.s" => Quants.RowPairTile.Code.ToArray(),
            "Quants/Nibbles/NibbleVnniTile.s" => Quants.Nibbles.NibbleVnniTile.Code.ToArray(),
            "Quants/Q8_0/Q8_0VnniDot.s" => Quants.Q8_0.Q8_0VnniDot.Code.ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(source), source, "no such kernel"),
        };
        string path = Path.Combine(RepositoryRoot(), "src", "Tessera.Kernels", source);
        Assert.True(File.Exists(path), path);
        string folder = Directory.CreateTempSubdirectory("machine-code-").FullName;
        try
        {
            string obj = Path.Combine(folder, "code.o"), bin = Path.Combine(folder, "code.bin");
            Run("as", path, "-o", obj);
            Run("objcopy", "-O", "binary", "-j", ".text", obj, bin);
            Assert.Equal(File.ReadAllBytes(bin), code);
            // nm: "0000000000000000 T symbol" per line.
            var symbols = Run("nm", obj).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' '))
                .ToDictionary(fields => fields[2], fields => Convert.ToInt32(fields[0], 16));
            foreach (var (symbol, offset) in entries)
                Assert.Equal(offset, symbols[symbol]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder != null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Tessera.sln")))
                return folder.FullName;
        }
        throw new DirectoryNotFoundException("no Tessera.sln above " + AppContext.BaseDirectory);
    }

    private static string Run(string tool, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} failed: {errors.Result}");
        return output;
    }
}

/// <summary>Runs where binutils' <c>as</c>, <c>objcopy</c> and <c>nm</c> are installed (CI installs them), and says so otherwise.</summary>
public sealed class BinutilsTheoryAttribute : TheoryAttribute
{
    public BinutilsTheoryAttribute()
    {
        if (!Tool("as") || !Tool("objcopy") || !Tool("nm"))
            Skip = "binutils (as, objcopy, nm) is not installed: the machine code cannot be checked against its assembly source";
    }

    private static bool Tool(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(folder => File.Exists(Path.Combine(folder, name)));
}
