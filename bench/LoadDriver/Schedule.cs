using System.Diagnostics;

namespace LoadDriver;

/// <summary>
/// The open-loop schedule of <c>--rate R</c>: slot i starts at t0 + i/R, whichever worker runs it. Workers take slots in
/// order (one interlocked counter), so a slot whose time has come waits only until some worker is free, and that wait
/// counts in its latency, which runs from the slot's time (no coordinated omission).
/// </summary>
internal sealed class Schedule(double rate, long origin)
{
    private long _taken = -1;

    public double Rate { get; } = rate;

    /// <summary>t0, a <see cref="Stopwatch"/> timestamp.</summary>
    public long Origin { get; } = origin;

    /// <summary>Takes the next slot: its start time (a <see cref="Stopwatch"/> timestamp).</summary>
    public long Next() => SlotTime(Interlocked.Increment(ref _taken));

    public long SlotTime(long slot) => Origin + (long)Math.Round(slot * (double)Stopwatch.Frequency / Rate);

    /// <summary>How many slots start in [start, end): what the window asked of the server.</summary>
    public long SlotsBetween(long start, long end) => Math.Max(0, FirstSlotFrom(end) - FirstSlotFrom(start));

    /// <summary>Waits until the timestamp, never less (Task.Delay counts whole milliseconds: rounded up).</summary>
    public static async Task WaitUntilAsync(long timestamp, CancellationToken cancellationToken)
    {
        while (true)
        {
            var remaining = timestamp - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency)), cancellationToken);
        }
    }

    /// <summary>The first slot whose start is at or after the timestamp.</summary>
    private long FirstSlotFrom(long timestamp)
    {
        var slot = Math.Max(0, (long)Math.Ceiling((timestamp - Origin) * Rate / Stopwatch.Frequency));
        while (slot > 0 && SlotTime(slot - 1) >= timestamp)
        {
            slot--;
        }
        while (SlotTime(slot) < timestamp)
        {
            slot++;
        }
        return slot;
    }
}
