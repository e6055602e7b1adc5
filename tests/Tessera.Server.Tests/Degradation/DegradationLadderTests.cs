using Tessera.Server.Degradation;

namespace Tessera.Server.Tests.Degradation;

public sealed class DegradationLadderTests
{
    private static readonly DegradationPolicy Policy = new()
    {
        Enabled = true, QueueSecondsHigh = 2, P95SecondsHigh = 10, RecoverFraction = 0.5, SamplesUp = 2, SamplesDown = 3, FallbackModel = "small",
    };

    private static readonly LoadSignal Calm = new(0, 1), Busy = new(3, 1), Slow = new(0, 12), InBetween = new(1.5, 1);

    [Fact]
    public void Climbs_one_rung_per_run_of_samples_over_a_threshold_and_steps_down_with_hysteresis()
    {
        var ladder = new DegradationLadder(Policy with { KvPrecisionRung = false });
        var levels = new[] { Busy, Busy, Busy, Slow, Slow, Busy, Busy, Busy, InBetween, InBetween, Calm, Calm, Calm, Calm, Calm, Calm, Calm, Calm, Calm, Calm }
            .Select(signal => { ladder.Observe(signal); return ladder.Level; })
            .ToArray();
        DegradationLevel[] expected =
        [
            DegradationLevel.Normal, DegradationLevel.Shrink,                      // two busy samples: one rung
            DegradationLevel.Shrink, DegradationLevel.SmallerModel,                // latency counts like queueing
            DegradationLevel.SmallerModel, DegradationLevel.Reject,
            DegradationLevel.Reject, DegradationLevel.Reject,                      // the top rung holds
            DegradationLevel.Reject, DegradationLevel.Reject,                      // between the thresholds: hold
            DegradationLevel.Reject, DegradationLevel.Reject, DegradationLevel.SmallerModel,   // three calm samples a rung
            DegradationLevel.SmallerModel, DegradationLevel.SmallerModel, DegradationLevel.Shrink,
            DegradationLevel.Shrink, DegradationLevel.Shrink, DegradationLevel.Normal,
            DegradationLevel.Normal,
        ];
        Assert.Equal(expected, levels);
    }

    [Fact]
    public void Every_rung_in_order_up_and_down()
    {
        var ladder = new DegradationLadder(Policy with { SamplesUp = 1, SamplesDown = 1 });
        var levels = new[] { Busy, Busy, Busy, Busy, Busy, Calm, Calm, Calm, Calm, Calm }
            .Select(signal => { ladder.Observe(signal); return ladder.Level; });
        DegradationLevel[] expected =
        [
            DegradationLevel.Shrink, DegradationLevel.KvPrecision, DegradationLevel.SmallerModel, DegradationLevel.Reject, DegradationLevel.Reject,
            DegradationLevel.SmallerModel, DegradationLevel.KvPrecision, DegradationLevel.Shrink, DegradationLevel.Normal, DegradationLevel.Normal,
        ];
        Assert.Equal(expected, levels);
    }

    [Theory]
    [InlineData(true, false)]    // no fallback model: the smaller-model rung is skipped
    [InlineData(false, true)]    // the KV rung turned off
    [InlineData(false, false)]   // both: shrink, then reject
    public void Rungs_with_nothing_to_do_are_skipped_both_ways(bool kvRung, bool fallback)
    {
        var ladder = new DegradationLadder(Policy with { KvPrecisionRung = kvRung, FallbackModel = fallback ? "small" : null, SamplesUp = 1, SamplesDown = 1 });
        var expected = new[] { DegradationLevel.Shrink, DegradationLevel.KvPrecision, DegradationLevel.SmallerModel, DegradationLevel.Reject }
            .Where(level => (level != DegradationLevel.KvPrecision || kvRung) && (level != DegradationLevel.SmallerModel || fallback))
            .ToList();
        var up = new List<DegradationLevel>();
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(ladder.Observe(Busy));
            up.Add(ladder.Level);
        }
        Assert.Equal(expected, up);
        var down = new List<DegradationLevel>();
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(ladder.Observe(Calm));
            down.Add(ladder.Level);
        }
        Assert.Equal([.. expected.Take(expected.Count - 1).Reverse(), DegradationLevel.Normal], down);
        Assert.False(ladder.Observe(Calm));
    }

    [Fact]
    public void Latency_is_ignored_when_its_threshold_is_zero()
    {
        var ladder = new DegradationLadder(Policy with { P95SecondsHigh = 0, SamplesUp = 1 });
        ladder.Observe(new LoadSignal(0, 1000));
        Assert.Equal(DegradationLevel.Normal, ladder.Level);
    }

    [Fact]
    public void A_policy_with_impossible_values_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => (Policy with { QueueSecondsHigh = 0 }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (Policy with { RecoverFraction = 1 }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (Policy with { SamplesDown = 0 }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (Policy with { MaxTokensCap = 0 }).Validate());
    }
}
