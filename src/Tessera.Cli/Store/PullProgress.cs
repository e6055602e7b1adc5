using Spectre.Console;

namespace Tessera.Cli.Store;

/// <summary>Progress of one file's download.</summary>
public interface IFileProgress
{
    /// <summary>(Re)starts the count at <paramref name="done"/> bytes of <paramref name="total"/> (null: unknown).</summary>
    void Start(long? total, long done);
    void Advance(long bytes);
    void Done();
}

/// <summary>Progress of a pull: one <see cref="IFileProgress"/> per file.</summary>
public interface IPullProgress
{
    IFileProgress Begin(string fileName);
}

/// <summary>
/// A Spectre progress bar (bytes, rate, time left) when stdout is a terminal; otherwise plain lines on stderr every 10%,
/// which logs and tests can read.
/// </summary>
public static class PullProgress
{
    public static async Task<T> RunAsync<T>(CommandOutput output, Func<IPullProgress, Task<T>> body)
    {
        if (output.Out == Console.Out && !Console.IsOutputRedirected)
        {
            return await ConsoleFactory.For(output.Out).Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                    new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(context => body(new SpectreProgress(context)));
        }
        return await body(new PlainProgress(output.Error));
    }

    private sealed class SpectreProgress(ProgressContext context) : IPullProgress
    {
        public IFileProgress Begin(string fileName) => new SpectreFile(context.AddTask(fileName, autoStart: true));
    }

    private sealed class SpectreFile(ProgressTask task) : IFileProgress
    {
        public void Start(long? total, long done)
        {
            task.IsIndeterminate = total is null;
            task.MaxValue = total ?? 1;
            task.Value = done;
        }

        public void Advance(long bytes) => task.Increment(bytes);

        public void Done()
        {
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }

    private sealed class PlainProgress(TextWriter log) : IPullProgress
    {
        public IFileProgress Begin(string fileName) => new PlainFile(log, fileName);
    }

    private sealed class PlainFile(TextWriter log, string name) : IFileProgress
    {
        private long? _total;
        private long _done;
        private int _lastTenth = -1;

        public void Start(long? total, long done)
        {
            _total = total;
            _done = done;
            string size = total is long t ? Units.Bytes(t) : "size unknown";
            log.WriteLine(done > 0 ? $"tessera: {name}: resuming at {Units.Bytes(done)} of {size}" : $"tessera: {name}: downloading {size}");
            _lastTenth = Tenth();
        }

        public void Advance(long bytes)
        {
            _done += bytes;
            int tenth = Tenth();
            if (tenth > _lastTenth && tenth < 10)
            {
                _lastTenth = tenth;
                log.WriteLine($"tessera: {name}: {tenth * 10}% ({Units.Bytes(_done)})");
            }
        }

        public void Done() => log.WriteLine($"tessera: {name}: 100% ({Units.Bytes(_done)})");

        private int Tenth() => _total is long t && t > 0 ? (int)(_done * 10 / t) : 0;
    }
}
