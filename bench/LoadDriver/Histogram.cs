using System.Numerics;

namespace LoadDriver;

/// <summary>
/// A fixed-size, HDR-like latency histogram in microseconds, safe to record into from every worker at once.
/// Values below 512 µs have their own bucket; above, each power of two is split into 256 buckets, so a recorded value
/// is known to within 0.4 %. About 8,700 counters (70 KB), whatever the number of samples; values up to 2^40 µs.
/// </summary>
internal sealed class Histogram
{
    private const int SubBucketBits = 8;
    private const int SubBuckets = 1 << SubBucketBits;          // 256 per power of two
    private const int LinearLimit = SubBuckets * 2;             // 0..511 µs: one bucket per microsecond
    private const int MaxMagnitude = 40;
    private const int BucketCount = LinearLimit + (MaxMagnitude - SubBucketBits) * SubBuckets;

    private readonly long[] _counts = new long[BucketCount];
    private long _count;
    private long _sum;
    private long _max;
    private long _min = long.MaxValue;

    public long Count => Interlocked.Read(ref _count);

    public void Record(long microseconds)
    {
        var value = Math.Max(0, microseconds);
        Interlocked.Increment(ref _counts[Index(value)]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, value);
        UpdateMax(ref _max, value);
        UpdateMin(ref _min, value);
    }

    public void RecordTicks(long stopwatchTicks) => Record(stopwatchTicks * 1_000_000 / System.Diagnostics.Stopwatch.Frequency);

    public LatencySummary Summarize()
    {
        var count = Count;
        if (count == 0)
        {
            return new LatencySummary(0, 0, 0, 0, 0, 0, 0, 0, 0);
        }
        var snapshot = new long[BucketCount];
        for (var i = 0; i < BucketCount; i++)
        {
            snapshot[i] = Interlocked.Read(ref _counts[i]);
        }
        var total = snapshot.Sum();
        var max = Interlocked.Read(ref _max);
        var min = Interlocked.Read(ref _min);
        return new LatencySummary(
            Count: total,
            MinMs: Ms(min),
            MeanMs: Ms((double)Interlocked.Read(ref _sum) / count),
            P50Ms: Ms(Percentile(snapshot, total, 50, max)),
            P90Ms: Ms(Percentile(snapshot, total, 90, max)),
            P95Ms: Ms(Percentile(snapshot, total, 95, max)),
            P99Ms: Ms(Percentile(snapshot, total, 99, max)),
            P999Ms: Ms(Percentile(snapshot, total, 99.9, max)),
            MaxMs: Ms(max));
    }

    /// <summary>The bucket of a value: exact below 512 µs, then 256 buckets per power of two.</summary>
    internal static int Index(long value)
    {
        if (value < LinearLimit)
        {
            return (int)value;
        }
        var magnitude = 63 - BitOperations.LeadingZeroCount((ulong)value);   // ≥ 9
        if (magnitude >= MaxMagnitude)
        {
            return BucketCount - 1;
        }
        var shift = magnitude - SubBucketBits;                                 // ≥ 1
        var sub = (int)(value >> shift) - SubBuckets;                          // 0..255
        return LinearLimit + (shift - 1) * SubBuckets + sub;
    }

    /// <summary>The highest value a bucket holds: percentiles are reported on the pessimistic side.</summary>
    internal static long UpperBound(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }
        var shift = (index - LinearLimit) / SubBuckets + 1;
        var sub = (index - LinearLimit) % SubBuckets;
        return ((long)(SubBuckets + sub + 1) << shift) - 1;
    }

    private static double Percentile(long[] counts, long total, double percentile, long max)
    {
        var rank = (long)Math.Ceiling(total * percentile / 100.0);
        rank = Math.Clamp(rank, 1, total);
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), max);
            }
        }
        return max;
    }

    private static double Ms(double microseconds) => Math.Round(microseconds / 1000.0, 3);

    private static void UpdateMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    private static void UpdateMin(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value < current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }
}

internal sealed record LatencySummary(long Count, double MinMs, double MeanMs, double P50Ms, double P90Ms, double P95Ms, double P99Ms, double P999Ms, double MaxMs);
