using System.Net;
using System.Security.Cryptography;

namespace Tessera.Cli.Store;

/// <summary>
/// Downloads one file into FILE.partial and moves it into place only once its size and sha256 check out. A rerun (or a
/// retry after a transient error) continues from the partial's length with a Range request; the sha256 is computed
/// incrementally over the bytes already there and those that arrive.
/// </summary>
public sealed class Downloader(HubClient hub, StoreSettings settings, TextWriter log)
{
    public const string PartialSuffix = ".partial";

    private const int BufferSize = 1 << 16;

    /// <param name="expectedSize">the size the hub lists, or -1 when unknown</param>
    /// <param name="expectedSha256">the hub's LFS oid (lower-case hex), or null when it publishes none</param>
    public async Task<ManifestFile> DownloadAsync(Uri url, string finalPath, long expectedSize, string? expectedSha256,
        IFileProgress progress, CancellationToken cancel)
    {
        try
        {
            return await DownloadToPartialAsync(url, finalPath, expectedSize, expectedSha256, progress, cancel);
        }
        catch
        {
            // An empty partial is nothing worth resuming (the request failed before any byte arrived).
            var partial = new FileInfo(finalPath + PartialSuffix);
            if (partial is { Exists: true, Length: 0 })
                partial.Delete();
            throw;
        }
    }

    private async Task<ManifestFile> DownloadToPartialAsync(Uri url, string finalPath, long expectedSize, string? expectedSha256,
        IFileProgress progress, CancellationToken cancel)
    {
        string name = Path.GetFileName(finalPath);
        string partial = finalPath + PartialSuffix;
        string sha;
        long length;
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        using (var file = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, BufferSize))
        {
            if (expectedSize >= 0 && file.Length > expectedSize)
                file.SetLength(0); // longer than the file can be: not a prefix of it
            await HashExistingAsync(file, hash, cancel);
            var state = new Transfer(url, name, file, hash, expectedSize, progress);
            progress.Start(expectedSize >= 0 ? expectedSize : null, file.Length);
            if (expectedSize < 0 || file.Length < expectedSize)
            {
                try
                {
                    await HubClient.WithRetriesAsync(settings, log, () => ReceiveAsync(state, cancel));
                }
                catch (TransientException e)
                {
                    await file.FlushAsync(cancel);
                    throw new CliException($"{name}: download interrupted after {Units.Bytes(file.Length)}: {e.Message} " +
                        $"(gave up after {settings.Retries} retries); run the same tessera pull again to resume");
                }
            }
            await file.FlushAsync(cancel);
            length = file.Length;
            sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            progress.Done();
        }

        string? problem = null;
        if (SizeDisagrees(expectedSize, length))
            problem = $"{name}: received {length} bytes but the hub lists {expectedSize}";
        else if (expectedSha256 is not null && !string.Equals(sha, expectedSha256, StringComparison.OrdinalIgnoreCase))
            problem = $"{name}: sha256 mismatch: expected {expectedSha256}, got {sha}; the download was deleted";
        if (problem is not null)
        {
            File.Delete(partial);
            throw new CliException(problem);
        }
        File.Move(partial, finalPath, overwrite: true);
        return new ManifestFile(name, length, sha);
    }

    private static bool SizeDisagrees(long expected, long actual) => expected >= 0 && expected != actual;

    /// <summary>State of one file's transfer, kept across retries.</summary>
    private sealed class Transfer(Uri url, string name, FileStream file, IncrementalHash hash, long expectedSize, IFileProgress progress)
    {
        public Uri Url { get; } = url;
        public string Name { get; } = name;
        public FileStream File { get; } = file;
        public IncrementalHash Hash { get; } = hash;
        public long Total { get; set; } = expectedSize;
        public IFileProgress Progress { get; } = progress;

        /// <summary>Throws away what was received (the server would not continue it).</summary>
        public void Restart()
        {
            File.SetLength(0);
            Hash.GetHashAndReset();
            Progress.Start(Total >= 0 ? Total : null, 0);
        }
    }

    private async Task<bool> ReceiveAsync(Transfer t, CancellationToken cancel)
    {
        long start = t.File.Length;
        HttpResponseMessage response;
        try
        {
            response = await hub.GetAsync(t.Url, start > 0 ? start : null, t.Name, cancel);
        }
        catch (RangeNotSatisfiableException) when (start > 0)
        {
            t.Restart();
            start = 0;
            response = await hub.GetAsync(t.Url, null, t.Name, cancel);
        }
        using (response)
        {
            if (start > 0 && (response.StatusCode != HttpStatusCode.PartialContent || response.Content.Headers.ContentRange?.From != start))
            {
                // The server sent the whole file (or another range): start over rather than append the wrong bytes.
                t.Restart();
                if (response.StatusCode == HttpStatusCode.PartialContent)
                    throw new TransientException($"{t.Name}: the server answered a different range");
                start = 0;
            }
            long? bodyLength = response.Content.Headers.ContentLength;
            if (t.Total < 0 && bodyLength is long announced)
                t.Total = start + announced;
            else if (t.Total >= 0 && bodyLength is long body && start + body != t.Total)
                throw new CliException($"{t.Name}: the server announces {start + body} bytes but the hub lists {t.Total}");
            if (t.Total >= 0)
                t.Progress.Start(t.Total, start);

            t.File.Position = start;
            await using var stream = await response.Content.ReadAsStreamAsync(cancel);
            using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var buffer = new byte[BufferSize];
            while (true)
            {
                int read;
                readTimeout.CancelAfter(settings.ReadTimeout);
                try
                {
                    read = await stream.ReadAsync(buffer, readTimeout.Token);
                }
                catch (OperationCanceledException e) when (!cancel.IsCancellationRequested)
                {
                    throw new TransientException($"{t.Name}: no data for {settings.ReadTimeout.TotalSeconds:0} s", e);
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    throw new TransientException($"{t.Name}: connection lost after {t.File.Length} bytes ({e.Message})", e);
                }
                if (read == 0)
                    break;
                if (t.Total >= 0 && t.File.Length + read > t.Total)
                    throw new CliException($"{t.Name}: the server sent more than the {t.Total} bytes listed");
                await t.File.WriteAsync(buffer.AsMemory(0, read), cancel);
                t.Hash.AppendData(buffer, 0, read);
                t.Progress.Advance(read);
            }
            if (t.Total >= 0 && t.File.Length < t.Total)
                throw new TransientException($"{t.Name}: connection closed after {t.File.Length} of {t.Total} bytes");
        }
        return true;
    }

    /// <summary>Feeds the bytes of an earlier, interrupted download to the hash, so the sha256 covers the whole file.</summary>
    private static async Task HashExistingAsync(FileStream file, IncrementalHash hash, CancellationToken cancel)
    {
        file.Position = 0;
        var buffer = new byte[BufferSize];
        int read;
        while ((read = await file.ReadAsync(buffer, cancel)) > 0)
            hash.AppendData(buffer, 0, read);
    }
}
