using Tessera.Server.Configuration;
using Tessera.Testing;

namespace Tessera.Server.Tests.Configuration;

/// <summary>The history of configs that started cleanly: ids, order, the last ten, rollback targets.</summary>
public sealed class ConfigStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 11, 45, 12, TimeSpan.Zero);

    [Fact]
    public void Ids_carry_the_start_time_and_the_texts_hash()
    {
        using var folder = new TempFolder();
        var store = new ConfigStore(folder.Path, clock: () => Start);
        var version = store.Save("server:\n  port: 1\n");
        Assert.Matches("^20261203-114512-[0-9a-f]{8}$", version.Id);
        Assert.Equal("server:\n  port: 1\n", store.Find(version.Id).ReadText());
    }

    [Fact]
    public void Keeps_the_last_ten_newest_first()
    {
        using var folder = new TempFolder();
        var now = Start;
        var store = new ConfigStore(folder.Path, clock: () => now);
        var saved = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            saved.Add(store.Save($"scheduling:\n  max_queue: {i}\n").Id);
            now = now.AddMinutes(1);
        }
        var kept = store.Versions();
        Assert.Equal(ConfigStore.DefaultKeep, kept.Count);
        Assert.Equal(saved.AsEnumerable().Reverse().Take(10), kept.Select(v => v.Id));
        Assert.Equal("scheduling:\n  max_queue: 11\n", store.Latest!.ReadText());
    }

    [Fact]
    public void Starts_within_one_second_still_sort_in_start_order()
    {
        using var folder = new TempFolder();
        var store = new ConfigStore(folder.Path, clock: () => Start);
        string first = store.Save("a: 1\n").Id;
        string second = store.Save("a: 2\n").Id;
        string third = store.Save("a: 3\n").Id;
        Assert.Equal([third, second, first], store.Versions().Select(v => v.Id));
        Assert.StartsWith("20261203-114514-", third);
    }

    [Fact]
    public void The_same_text_twice_in_a_row_is_one_version()
    {
        using var folder = new TempFolder();
        var store = new ConfigStore(folder.Path);
        var first = store.Save("a: 1\n");
        Assert.Equal(first, store.Save("a: 1\n"));
        Assert.Single(store.Versions());
    }

    [Fact]
    public void Previous_is_the_version_before_the_latest()
    {
        using var folder = new TempFolder();
        var store = new ConfigStore(folder.Path);
        var exception = Assert.Throws<ConfigException>(store.Previous);
        Assert.Contains("no config has started yet", exception.Message);
        var older = store.Save("a: 1\n");
        Assert.Contains("only one config version", Assert.Throws<ConfigException>(store.Previous).Message);
        store.Save("a: 2\n");
        Assert.Equal(older.Id, store.Previous().Id);
    }

    [Fact]
    public void An_unknown_id_lists_the_known_ones()
    {
        using var folder = new TempFolder();
        var store = new ConfigStore(folder.Path);
        var a = store.Save("a: 1\n");
        var b = store.Save("a: 2\n");
        var error = Assert.Throws<ConfigException>(() => store.Find("20200101-000000-deadbeef"));
        Assert.Equal($"no config version '20200101-000000-deadbeef'; known: {b.Id}, {a.Id}", error.Message);
    }

    [Fact]
    public void Files_that_are_not_versions_are_ignored()
    {
        using var folder = new TempFolder();
        File.WriteAllText(Path.Combine(folder.Path, "notes.yaml"), "x: 1\n");
        Assert.Empty(new ConfigStore(folder.Path).Versions());
    }
}
