namespace Tessera.Kernels.Tests;

/// <summary><see cref="CountingSort.Group"/> against LINQ's stable ordering on random keys, empty keys included.</summary>
public sealed class CountingSortTests
{
    [Fact]
    public void Groups_indices_by_key_stably_with_each_keys_start()
    {
        var random = new Random(7);
        foreach (var (length, keyCount) in new[] { (0, 3), (1, 1), (37, 5), (200, 32), (9, 40) })
        {
            var keys = Enumerable.Range(0, length).Select(_ => random.Next(keyCount)).ToArray();
            var starts = new int[keyCount + 1];
            var order = new int[length];
            CountingSort.Group(keys, starts, order);
            Assert.Equal(Enumerable.Range(0, length).OrderBy(i => keys[i]).ToArray(), order);
            for (int k = 0; k < keyCount; k++)
            {
                Assert.Equal(keys.Count(key => key < k), starts[k]);
                Assert.All(order[starts[k]..starts[k + 1]], i => Assert.Equal(k, keys[i]));
            }
            Assert.Equal(length, starts[keyCount]);
        }
    }
}
