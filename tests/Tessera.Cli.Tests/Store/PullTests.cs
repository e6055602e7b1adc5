using System.Security.Cryptography;
using System.Text.Json;
using Tessera.Cli.Store;

namespace Tessera.Cli.Tests.Store;

/// <summary>`tessera pull` against a local fake hub: fresh, resumed, retried, verified, and refusing a hostile hub.</summary>
public sealed class PullTests
{
    private static StoreFixture WithTinyRepo(int retries = 3)
    {
        var store = new StoreFixture(retries);
        store.Hub.AddRepo("test/tiny", new HubRepoFile("tiny-Q8_0.gguf", StoreFixture.Qwen), new HubRepoFile("tiny-Q4_K_M.gguf", StoreFixture.Stories));
        return store;
    }

    private static string Sha(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    [Fact]
    public void A_fresh_pull_picks_Q4_K_M_writes_the_manifest_and_the_model_runs()
    {
        using var store = WithTinyRepo();
        var pull = CliRunner.Run("pull", "hf.co/test/tiny");
        Assert.True(pull.ExitCode == 0, pull.Error);
        Assert.Equal("test/tiny:Q4_K_M", pull.Out.Trim());
        Assert.Contains("picked Q4_K_M (tiny-Q4_K_M.gguf", pull.Error);
        Assert.Contains("tiny-Q4_K_M.gguf: 50%", pull.Error);

        string folder = store.FolderPath("test--tiny--Q4_K_M");
        Assert.Equal(StoreFixture.Stories, File.ReadAllBytes(Path.Combine(folder, "tiny-Q4_K_M.gguf")));
        var manifest = StoreManifest.TryRead(folder)!;
        Assert.Equal("hf.co/test/tiny", manifest.Source);
        Assert.Equal("main", manifest.Revision);
        Assert.Equal("Q4_K_M", manifest.Quant);
        var file = Assert.Single(manifest.Files);
        Assert.Equal(("tiny-Q4_K_M.gguf", (long)StoreFixture.Stories.Length, Sha(StoreFixture.Stories)), (file.Name, file.Size, file.Sha256));
        Assert.Empty(Directory.GetFiles(folder, "*.partial"));

        var list = CliRunner.Run("list");
        Assert.True(list.ExitCode == 0, list.Error);
        Assert.Contains("test/tiny:Q4_K_M", list.Out);
        Assert.Contains("ok", list.Out);

        var run = CliRunner.Run("run", "test/tiny:Q4_K_M", "-p", "Once", "-n", "4", "--temp", "0", "--device", "cpu");
        Assert.True(run.ExitCode == 0, run.Error);
        var direct = CliRunner.Run("run", Testing.SharedData.Model("stories260K.gguf"), "-p", "Once", "-n", "4", "--temp", "0", "--device", "cpu");
        Assert.Equal(direct.Out, run.Out);
    }

    [Fact]
    public void A_symbolic_link_in_the_model_folder_is_never_written_through()
    {
        using var store = WithTinyRepo();
        string folder = store.FolderPath("test--tiny--Q4_K_M");
        Directory.CreateDirectory(folder);
        string outside = Path.Combine(store.TempFolder, "outside.bin");
        File.WriteAllBytes(outside, [1, 2, 3]);
        File.CreateSymbolicLink(Path.Combine(folder, "tiny-Q4_K_M.gguf.partial"), outside);
        var pull = CliRunner.Run("pull", "hf.co/test/tiny");
        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("refusing to write through the symbolic link", pull.Error);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(outside));
        Assert.DoesNotContain(store.Hub.Requests, r => r.Contains("/resolve/"));
    }

    [Fact]
    public void A_listing_in_pages_is_read_to_its_last_page()
    {
        using var store = WithTinyRepo();
        store.Hub.PageSize = 1; // tiny-Q8_0, then tiny-Q4_K_M, then README.md
        var pull = CliRunner.Run("pull", "hf.co/test/tiny");
        Assert.True(pull.ExitCode == 0, pull.Error);
        Assert.Equal("test/tiny:Q4_K_M", pull.Out.Trim());
        Assert.Equal(3, store.Hub.Requests.Count(r => r.Contains("/tree/")));
        Assert.Contains(store.Hub.Requests, r => r.Contains("cursor=2"));
    }

    [Fact]
    public void A_next_page_on_another_host_is_refused()
    {
        using var store = WithTinyRepo();
        store.Hub.PageSize = 1;
        store.Hub.NextPageOrigin = "http://elsewhere.invalid";
        var pull = CliRunner.Run("pull", "hf.co/test/tiny");
        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("points its next page to another host (elsewhere.invalid)", pull.Error);
        Assert.Empty(store.Folders);
    }

    [Fact]
    public void A_revision_is_listed_downloaded_and_recorded()
    {
        using var store = WithTinyRepo();
        var pull = CliRunner.Run("pull", "hf.co/test/tiny", "--revision", "v1.0");
        Assert.True(pull.ExitCode == 0, pull.Error);
        Assert.Contains(store.Hub.Requests, r => r.StartsWith("GET /api/models/test/tiny/tree/v1.0", StringComparison.Ordinal));
        Assert.Contains(store.Hub.Requests, r => r.StartsWith("GET /test/tiny/resolve/v1.0/tiny-Q4_K_M.gguf", StringComparison.Ordinal));
        Assert.DoesNotContain(store.Hub.Requests, r => r.Contains("/main", StringComparison.Ordinal));
        Assert.Equal("v1.0", StoreManifest.TryRead(store.FolderPath("test--tiny--Q4_K_M"))!.Revision);
        Assert.Equal(1, CliRunner.Run("pull", "hf.co/test/tiny", "--revision", "bad rev").ExitCode);
    }

    [Fact]
    public void A_quant_is_chosen_case_insensitively_and_a_second_pull_is_up_to_date()
    {
        using var store = WithTinyRepo();
        var pull = CliRunner.Run("pull", "hf.co/test/tiny:q8_0");
        Assert.True(pull.ExitCode == 0, pull.Error);
        Assert.Equal(StoreFixture.Qwen, File.ReadAllBytes(Path.Combine(store.FolderPath("test--tiny--Q8_0"), "tiny-Q8_0.gguf")));
        int requests = store.Hub.Requests.Count(r => r.Contains("/resolve/"));

        var again = CliRunner.Run("pull", "hf.co/test/tiny:Q8_0");
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains("up to date", again.Error);
        Assert.Equal(requests, store.Hub.Requests.Count(r => r.Contains("/resolve/")));

        var missing = CliRunner.Run("pull", "hf.co/test/tiny:Q5_K_M");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("has no Q5_K_M file (available: Q8_0, Q4_K_M)", missing.Error);
    }

    [Fact]
    public void Without_Q4_K_M_the_smallest_4_bit_file_is_picked()
    {
        using var store = new StoreFixture();
        store.Hub.AddRepo("test/four", new HubRepoFile("four-Q8_0.gguf", StoreFixture.Stories),
            new HubRepoFile("four-IQ4_NL.gguf", StoreFixture.Qwen), new HubRepoFile("four-Q4_0.gguf", StoreFixture.Stories));
        var pull = CliRunner.Run("pull", "hf.co/test/four");
        Assert.True(pull.ExitCode == 0, pull.Error);
        Assert.Contains("picked Q4_0 (four-Q4_0.gguf", pull.Error);
        Assert.Equal(["test--four--Q4_0"], store.Folders);
    }

    [Fact]
    public void An_interrupted_pull_leaves_a_partial_that_a_rerun_resumes_with_a_range_request()
    {
        using var store = WithTinyRepo(retries: 0);
        long cut = Random.Shared.Next(4096, StoreFixture.Stories.Length - 4096);
        store.Hub.DropAfter = cut;
        store.Hub.DropsLeft = 1;
        var first = CliRunner.Run("pull", "hf.co/test/tiny");
        Assert.True(first.ExitCode == 1, $"cut at {cut}: {first.Error}");
        Assert.Contains("download interrupted", first.Error);
        Assert.Contains("run the same tessera pull again to resume", first.Error);
        string folder = store.FolderPath("test--tiny--Q4_K_M");
        var partial = new FileInfo(Path.Combine(folder, "tiny-Q4_K_M.gguf.partial"));
        Assert.True(partial.Exists && partial.Length > 0 && partial.Length <= cut, $"cut at {cut}, partial {partial.Length}");
        Assert.False(File.Exists(Path.Combine(folder, StoreManifest.FileName)));
        Assert.Contains("incomplete", CliRunner.Run("list").Out);

        var second = CliRunner.Run("pull", "hf.co/test/tiny");
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Contains("resuming at", second.Error);
        Assert.Contains($"range=bytes={partial.Length}-", Assert.Single(store.Hub.RangeRequests));
        Assert.Equal(StoreFixture.Stories, File.ReadAllBytes(Path.Combine(folder, "tiny-Q4_K_M.gguf")));
        Assert.Equal(Sha(StoreFixture.Stories), StoreManifest.TryRead(folder)!.Files[0].Sha256);
        Assert.False(partial.Exists && File.Exists(partial.FullName));
    }

    [Fact]
    public void A_dropped_connection_is_retried_and_completes_in_one_pull()
    {
        using var store = WithTinyRepo();
        store.Hub.DropAfter = StoreFixture.Stories.Length / 3;
        store.Hub.DropsLeft = 2;
        var pull = CliRunner.Run("pull", "hf.co/test/tiny");
        Assert.True(pull.ExitCode == 0, pull.Error);
        Assert.Contains("retrying in", pull.Error);
        Assert.NotEmpty(store.Hub.RangeRequests);
        Assert.Equal(StoreFixture.Stories, File.ReadAllBytes(Path.Combine(store.FolderPath("test--tiny--Q4_K_M"), "tiny-Q4_K_M.gguf")));
    }

    [Theory]
    [InlineData(503, "server error (HTTP 503)")]
    [InlineData(429, "too many requests (HTTP 429)")]
    public void Server_errors_and_rate_limits_are_retried(int status, string message)
    {
        using var store = WithTinyRepo();
        store.Hub.FailWith = status;
        store.Hub.FailuresLeft = 2;
        var pull = CliRunner.Run("pull", "hf.co/test/tiny");
        Assert.True(pull.ExitCode == 0, pull.Error);
        Assert.Equal(2, pull.Error.Split('\n').Count(l => l.Contains(message) && l.Contains("retrying in")));

        store.Hub.FailuresLeft = 10;
        var exhausted = CliRunner.Run("pull", "hf.co/test/tiny:Q8_0");
        Assert.Equal(1, exhausted.ExitCode);
        Assert.Contains("gave up after 3 retries", exhausted.Error);
        Assert.Equal(["test--tiny--Q4_K_M"], store.Folders);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(-10)]
    public void A_size_that_disagrees_with_the_listing_is_an_error(long delta)
    {
        using var store = WithTinyRepo();
        store.Hub.ListedSizeDelta = delta;
        var pull = CliRunner.Run("pull", "hf.co/test/tiny");
        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("the hub lists", pull.Error);
        Assert.Empty(store.Folders);
    }

    [Fact]
    public void A_corrupted_byte_is_a_sha256_mismatch_and_leaves_nothing_in_the_store()
    {
        using var store = WithTinyRepo();
        store.Hub.CorruptByte = true;
        var pull = CliRunner.Run("pull", "hf.co/test/tiny");
        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("sha256 mismatch", pull.Error);
        Assert.Empty(store.Folders);
        Assert.Contains("no models", CliRunner.Run("list").Error);
    }

    [Fact]
    public void Unknown_and_gated_repositories_are_clear_errors()
    {
        using var store = WithTinyRepo();
        store.Hub.AddRepo("meta/gated", new HubRepoFile("gated-Q4_K_M.gguf", StoreFixture.Stories));
        store.Hub.Gated.Add("meta/gated");

        var missing = CliRunner.Run("pull", "hf.co/test/nothing");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("repository or file not found", missing.Error);
        Assert.Single(missing.Error.Trim().Split('\n'));

        var gated = CliRunner.Run("pull", "hf.co/meta/gated");
        Assert.Equal(1, gated.ExitCode);
        Assert.Contains("access denied: the repository may be gated; set HF_TOKEN", gated.Error);

        var missingFile = CliRunner.Run("pull", "test/tiny/other.gguf");
        Assert.Equal(1, missingFile.ExitCode);
        Assert.Contains("repository or file not found", missingFile.Error);
        Assert.Empty(store.Folders);
    }

    [Fact]
    public void A_split_model_downloads_all_parts_into_one_model()
    {
        using var store = new StoreFixture();
        // A real split GGUF: the store opens the first part, which validates every part and the split keys.
        string prefix = Path.Combine(store.TempFolder, "m");
        using (var source = Gguf.GgufFile.Open(Testing.SharedData.Model("stories260K.gguf")))
        {
            var writer = new Gguf.GgufWriter();
            foreach (var entry in source.Metadata)
                writer.Set(entry);
            foreach (var tensor in source.Tensors)
                writer.AddTensor(tensor.Name, tensor.Type, tensor.Dimensions, source.GetData(tensor).ToArray());
            Assert.Equal(2, writer.WriteSplit(prefix, (source.Tensors.Count + 1) / 2).Count);
        }
        store.Hub.AddRepo("test/split", new HubRepoFile("m-00002-of-00002.gguf", File.ReadAllBytes(prefix + "-00002-of-00002.gguf")),
            new HubRepoFile("m-00001-of-00002.gguf", File.ReadAllBytes(prefix + "-00001-of-00002.gguf")));

        var pull = CliRunner.Run("pull", "hf.co/test/split");
        Assert.True(pull.ExitCode == 0, pull.Error);
        Assert.Contains("and 1 more parts", pull.Error);
        var manifest = StoreManifest.TryRead(store.FolderPath("test--split--m"))!;
        Assert.Equal(["m-00001-of-00002.gguf", "m-00002-of-00002.gguf"], manifest.Files.Select(f => f.Name));

        using var list = JsonDocument.Parse(CliRunner.Run("list", "--json").Out);
        var model = Assert.Single(list.RootElement.EnumerateArray());
        Assert.Equal("test/split:m", model.GetProperty("name").GetString());
        Assert.True(model.GetProperty("complete").GetBoolean());

        var run = CliRunner.Run("run", "split", "-p", "Once", "-n", "4", "--temp", "0", "--device", "cpu");
        Assert.True(run.ExitCode == 0, run.Error);
    }

    [Fact]
    public void A_hub_listing_a_path_outside_the_store_is_refused()
    {
        using var store = new StoreFixture();
        store.Hub.AddRepo("evil/escape", new HubRepoFile("../../x.gguf", StoreFixture.Stories));
        var pull = CliRunner.Run("pull", "hf.co/evil/escape");
        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("refusing unsafe or non-GGUF file name '../../x.gguf'", pull.Error);
        Assert.Empty(Directory.GetFiles(store.TempFolder, "*", SearchOption.AllDirectories));
        Assert.DoesNotContain(store.Hub.Requests, r => r.Contains("/resolve/"));
    }

    [Fact]
    public void A_redirect_to_a_non_http_scheme_is_refused()
    {
        using var store = WithTinyRepo();
        store.Hub.RedirectTo = "file:///etc/passwd";
        var pull = CliRunner.Run("pull", "hf.co/test/tiny");
        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("refusing a redirect to 'file:///etc/passwd'", pull.Error);
        Assert.Empty(store.Folders);
    }

    [Fact]
    public void A_redirect_is_followed_and_the_token_goes_to_the_endpoint_only()
    {
        using var store = WithTinyRepo();
        using var token = StoreSettings.Use(store.Settings with { Token = "secret" });
        store.Hub.AddRepo("cdn/bytes", new HubRepoFile("tiny-Q4_K_M.gguf", StoreFixture.Stories));
        // "localhost" is another host than the endpoint's 127.0.0.1, as a CDN would be.
        store.Hub.RedirectTo = new Uri(store.Hub.Endpoint).GetLeftPart(UriPartial.Scheme) + "localhost:" + new Uri(store.Hub.Endpoint).Port
            + "/cdn/bytes/resolve/main/tiny-Q4_K_M.gguf";
        var pull = CliRunner.Run("pull", "hf.co/test/tiny");
        Assert.True(pull.ExitCode == 0, pull.Error);
        Assert.Equal(["Bearer secret", ""], store.Hub.Authorizations);
        Assert.Equal(StoreFixture.Stories, File.ReadAllBytes(Path.Combine(store.FolderPath("test--tiny--Q4_K_M"), "tiny-Q4_K_M.gguf")));
    }

    [Fact]
    public void A_url_and_a_single_file_can_be_pulled()
    {
        using var store = WithTinyRepo();
        var url = CliRunner.Run("pull", store.Hub.Endpoint + "/test/tiny/resolve/main/tiny-Q4_K_M.gguf");
        Assert.True(url.ExitCode == 0, url.Error);
        var file = CliRunner.Run("pull", "test/tiny/tiny-Q8_0.gguf");
        Assert.True(file.ExitCode == 0, file.Error);
        Assert.Equal(["127.0.0.1--tiny--Q4_K_M", "test--tiny--Q8_0"], store.Folders.Order());
        Assert.Equal(StoreFixture.Stories, File.ReadAllBytes(Path.Combine(store.FolderPath("127.0.0.1--tiny--Q4_K_M"), "tiny-Q4_K_M.gguf")));
    }

    [Fact]
    public void A_second_pull_of_a_model_being_pulled_fails_clearly()
    {
        using var store = WithTinyRepo();
        string folder = store.FolderPath("test--tiny--Q4_K_M");
        Directory.CreateDirectory(folder);
        using (StoreLock.Acquire(folder, TimeSpan.Zero, "test"))
        {
            var pull = CliRunner.Run("pull", "hf.co/test/tiny");
            Assert.Equal(1, pull.ExitCode);
            Assert.Contains("another tessera pull of test/tiny:Q4_K_M is running", pull.Error);
        }
        Assert.True(CliRunner.Run("pull", "hf.co/test/tiny").ExitCode == 0);
    }

    [Fact]
    public async Task A_second_pull_waits_for_the_first_to_finish()
    {
        using var store = WithTinyRepo();
        using var patient = StoreSettings.Use(store.Settings with { LockTimeout = TimeSpan.FromSeconds(30) });
        string folder = store.FolderPath("test--tiny--Q4_K_M");
        Directory.CreateDirectory(folder);
        Task<CliResult> waiting;
        using (StoreLock.Acquire(folder, TimeSpan.Zero, "test"))
        {
            waiting = Task.Run(() => CliRunner.Run("pull", "hf.co/test/tiny"));
            await Task.Delay(300);
            Assert.False(waiting.IsCompleted);
        }
        var pull = await waiting;
        Assert.True(pull.ExitCode == 0, pull.Error);
        Assert.Equal(StoreFixture.Stories, File.ReadAllBytes(Path.Combine(folder, "tiny-Q4_K_M.gguf")));
    }

    [Fact]
    public void A_file_that_is_not_gguf_is_an_error_and_is_not_listed()
    {
        using var store = new StoreFixture();
        store.Hub.AddRepo("test/junk", new HubRepoFile("junk-Q4_0.gguf", "not a gguf file at all"u8.ToArray()));
        var pull = CliRunner.Run("pull", "hf.co/test/junk");
        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("not a valid GGUF file", pull.Error);
        Assert.Empty(store.Folders);
    }

    [Theory]
    [InlineData("hf.co/../etc")]
    [InlineData("hf.co/a--b/c")]
    [InlineData("owner/repo/../../x.gguf")]
    [InlineData("owner/repo/model.bin")]
    [InlineData("ftp://example.com/x.gguf")]
    public void Bad_pull_names_are_refused(string name)
    {
        using var store = new StoreFixture();
        var pull = CliRunner.Run("pull", name);
        Assert.Equal(1, pull.ExitCode);
        Assert.StartsWith("tessera: error:", pull.Error);
        Assert.Empty(store.Hub.Requests);
    }

    [Fact]
    public async Task Ctrl_C_stops_a_pull_keeping_its_bytes_and_the_rerun_resumes()
    {
        using var store = WithTinyRepo();
        int stall = StoreFixture.Stories.Length * 3 / 5;
        store.Hub.StallAfter = stall;
        using var pull = store.StartTessera("pull", "hf.co/test/tiny");
        var stdout = pull.StandardOutput.ReadToEndAsync();
        var lines = new List<string>();
        // Plain progress prints a line per 10%: at "50%" the bytes up to the stall are on their way.
        while (await pull.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
        {
            lines.Add(line);
            if (line.Contains("50%"))
                break;
        }
        Assert.Contains(lines, line => line.Contains("50%"));
        await Task.Delay(300);
        using (var interrupt = System.Diagnostics.Process.Start("kill", ["-INT", pull.Id.ToString()]))
            await interrupt.WaitForExitAsync();
        string rest = await pull.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await pull.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("interrupted; the bytes downloaded so far are kept", rest);
        Assert.Equal("", await stdout);
        string partial = Path.Combine(store.FolderPath("test--tiny--Q4_K_M"), "tiny-Q4_K_M.gguf.partial");
        Assert.Equal(stall, new FileInfo(partial).Length);

        store.Hub.StallAfter = 0;
        var resumed = store.Tessera("pull", "hf.co/test/tiny");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains($"range=bytes={stall}-", Assert.Single(store.Hub.RangeRequests));
        Assert.Equal(StoreFixture.Stories, File.ReadAllBytes(Path.Combine(store.FolderPath("test--tiny--Q4_K_M"), "tiny-Q4_K_M.gguf")));
    }

    [Fact]
    public void Fresh_and_resumed_pulls_through_the_real_executable()
    {
        using var store = WithTinyRepo();
        var fresh = store.Tessera("pull", "hf.co/test/tiny:Q8_0");
        Assert.True(fresh.ExitCode == 0, fresh.Error);
        Assert.Equal(StoreFixture.Qwen, File.ReadAllBytes(Path.Combine(store.FolderPath("test--tiny--Q8_0"), "tiny-Q8_0.gguf")));

        // What an interrupted pull leaves behind: the first bytes in a .partial; the rerun continues from there.
        string folder = store.FolderPath("test--tiny--Q4_K_M");
        Directory.CreateDirectory(folder);
        int kept = StoreFixture.Stories.Length / 3;
        File.WriteAllBytes(Path.Combine(folder, "tiny-Q4_K_M.gguf.partial"), StoreFixture.Stories[..kept]);
        Assert.Contains("incomplete", store.Tessera("list").Out);
        var resumed = store.Tessera("pull", "hf.co/test/tiny");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains($"range=bytes={kept}-", Assert.Single(store.Hub.RangeRequests));
        Assert.Equal(StoreFixture.Stories, File.ReadAllBytes(Path.Combine(folder, "tiny-Q4_K_M.gguf")));
        Assert.Equal(Sha(StoreFixture.Stories), StoreManifest.TryRead(folder)!.Files[0].Sha256);

        var list = store.Tessera("list", "--json");
        Assert.True(list.ExitCode == 0, list.Error);
        Assert.Equal(2, JsonDocument.Parse(list.Out).RootElement.GetArrayLength());
    }
}
