namespace Tessera.ChatTemplates.Tests;

/// <summary>A clock stopped at the fixtures' date, 2026-01-15 00:00:00, in UTC.</summary>
internal sealed class FixedClock : TimeProvider
{
    public static readonly FixedClock FixtureDate = new(new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero));

    private readonly DateTimeOffset _now;

    public FixedClock(DateTimeOffset now) => _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
