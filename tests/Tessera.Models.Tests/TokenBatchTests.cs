namespace Tessera.Models.Tests;

public sealed class TokenBatchTests
{
    [Fact]
    public void Runs_are_the_stretches_of_one_sequence_and_clear_resets_them()
    {
        var batch = new TokenBatch(8);
        batch.Add(1, 0, 2, false);
        batch.Add(2, 1, 2, false);
        batch.Add(3, 5, 0, true);
        batch.Add(4, 9, 1, true);
        batch.Add(5, 10, 1, true);
        Assert.Equal(3, batch.RunCount);
        Assert.Equal((0, 2), batch.Run(0));
        Assert.Equal((2, 3), batch.Run(1));
        Assert.Equal((3, 5), batch.Run(2));
        batch.Clear();
        Assert.Equal(0, batch.RunCount);
        batch.Add(7, 0, 4, true);
        Assert.Equal(1, batch.RunCount);
        Assert.Equal((0, 1), batch.Run(0));
    }
}
