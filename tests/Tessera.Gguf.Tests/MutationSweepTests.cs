using Tessera.Testing;

namespace Tessera.Gguf.Tests;

/// <summary>
/// Corrupts every header byte of real files (metadata and tensor infos, up to the data section) with
/// several values and parses each copy: it must open or raise <see cref="GgufFormatException"/>, never
/// anything else, and never hang.
/// </summary>
public class MutationSweepTests
{
    private static readonly byte[] FixedValues = [0x00, 0xFF, 0x7F];

    /// <summary>Whole sweep budget; a hang in one parse trips it (a sweep takes about a second or two).</summary>
    private static readonly TimeSpan SweepTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("stories260K.gguf")]
    [InlineData("syn-mixtral-Q4_0.gguf")]
    public async Task Every_mutated_header_byte_opens_or_raises_a_format_error(string fileName)
    {
        var bytes = File.ReadAllBytes(SharedData.Model(fileName));
        long headerEnd;
        using (var original = GgufFile.Open(bytes))
            headerEnd = original.DataOffset;

        var progress = new SweepProgress();
        var sweep = Task.Factory.StartNew(() => Sweep(bytes, (int)headerEnd, progress), TaskCreationOptions.LongRunning);
        if (await Task.WhenAny(sweep, Task.Delay(SweepTimeout)) != sweep)
            Assert.Fail($"{fileName}: parsing hung or crawled at byte 0x{progress.Offset:X} = 0x{progress.Value:X2}");
        var (opened, rejected) = await sweep;
        Assert.True(rejected > 0 && opened > 0, $"opened {opened}, rejected {rejected}");
    }

    private sealed class SweepProgress
    {
        public volatile int Offset;
        public volatile byte Value;
    }

    private static (int Opened, int Rejected) Sweep(byte[] bytes, int headerEnd, SweepProgress progress)
    {
        int opened = 0, rejected = 0;
        Span<byte> values = stackalloc byte[FixedValues.Length + 2];
        for (var offset = 0; offset < headerEnd; offset++)
        {
            var original = bytes[offset];
            FixedValues.CopyTo(values);
            values[^2] = (byte)(original ^ 0x01);
            values[^1] = (byte)(original ^ 0x80);
            foreach (var value in values)
            {
                if (value == original)
                    continue;
                progress.Offset = offset;
                progress.Value = value;
                bytes[offset] = value; // mutate in place and restore: no copy of the file per case
                try
                {
                    using var file = GgufFile.Open(bytes);
                    opened++;
                }
                catch (GgufFormatException)
                {
                    rejected++;
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"byte 0x{offset:X} = 0x{value:X2}: {e.GetType().Name}: {e.Message}");
                }
                finally
                {
                    bytes[offset] = original;
                }
            }
        }
        return (opened, rejected);
    }
}
