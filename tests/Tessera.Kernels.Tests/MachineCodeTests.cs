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
        "Quants/Panel/Int8PanelPairTileHalves.s");

    [BinutilsTheory]
    [MemberData(nameof(Sources))]
    public void The_bytes_are_what_the_assembly_source_assembles_to(string source)
    {
        byte[] code = source switch
        {
            "Quants/BF16/BF16PairTile.s" => BF16PairTile.Code.ToArray(),
            "Numerics/F16cConversion.s" => F16cConversion.Code.ToArray(),
            "Quants/Panel/Int8PanelPairTile.s" => Quants.Panel.Int8PanelPairTile.Code.ToArray(),
            "Quants/Panel/Int8PanelPairTileHalves.s" => Quants.Panel.Int8PanelPairTile.HalvesCode.ToArray(),
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

    private static void Run(string tool, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { RedirectStandardError = true })!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} failed: {errors}");
    }
}

/// <summary>Runs where binutils' <c>as</c> and <c>objcopy</c> are installed (CI installs them), and says so otherwise.</summary>
public sealed class BinutilsTheoryAttribute : TheoryAttribute
{
    public BinutilsTheoryAttribute()
    {
        if (!Tool("as") || !Tool("objcopy"))
            Skip = "binutils (as, objcopy) is not installed: the machine code cannot be checked against its assembly source";
    }

    private static bool Tool(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(folder => File.Exists(Path.Combine(folder, name)));
}
