using System.Collections.Concurrent;
using System.Diagnostics;

namespace LoadDriver;

/// <summary>
/// A failed operation. <see cref="Kind"/> carries no per-request data (ids are replaced by <c>:id</c>) so that equal
/// failures are counted together; <see cref="Exception.Message"/> adds the detail (error_description, page alert, …).
/// </summary>
internal sealed class BenchException(string kind, string? detail = null, Exception? inner = null)
    : Exception(detail is null ? kind : kind + ": " + detail, inner)
{
    public string Kind { get; } = kind;
}

/// <summary>Thrown instead of sending a request once <c>--max-requests</c> were sent.</summary>
internal sealed class RequestLimitReachedException() : Exception("The request limit was reached.");

/// <summary>
/// What every worker shares: the phase (warm-up, measured window, stop), the request budget, and the measurements.
/// An operation counts when it started at or after the window's start and finished at or before its end; operations
/// straddling either edge are discarded. Histograms are shared and updated with interlocked operations.
/// </summary>
internal sealed class RunState(long maxRequests)
{
    private const int MaxSteps = 64;
    private const int MaxErrorKinds = 100;
    private const int MaxFirstErrors = 3;

    private readonly TaskCompletionSource _limitReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, Histogram> _steps = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _errorKinds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _counters = new(StringComparer.Ordinal);
    private readonly List<string> _firstErrors = [];
    private readonly HashSet<string> _firstErrorKinds = new(StringComparer.Ordinal);
    private long _requestsSent;
    private long _requestsInWindow;
    private long _measureStart = long.MaxValue;
    private long _measureEnd = long.MaxValue;
    private long _operations;
    private long _errors;
    private long _warmupOperations;
    private long _warmupErrors;
    private long _setupErrors;
    private volatile bool _stopping;
    private volatile bool _untimed;

    public Histogram Latency { get; } = new();

    /// <summary>Paced runs (--rate): how long after its scheduled time each operation of the window started.</summary>
    public Histogram StartDelay { get; } = new();
    public Task LimitReached => _limitReached.Task;
    public bool Stopping => _stopping;
    public long RequestsSent => Interlocked.Read(ref _requestsSent);
    public long RequestsInWindow => Interlocked.Read(ref _requestsInWindow);
    public long Operations => Interlocked.Read(ref _operations);
    public long Errors => Interlocked.Read(ref _errors);
    public long WarmupOperations => Interlocked.Read(ref _warmupOperations);
    public long WarmupErrors => Interlocked.Read(ref _warmupErrors);
    public long SetupErrors => Interlocked.Read(ref _setupErrors);
    public long MeasureStart => Volatile.Read(ref _measureStart);
    public long MeasureEnd => Volatile.Read(ref _measureEnd);

    /// <summary>Takes one request from the budget, or throws when it is spent (the request is then not sent).</summary>
    public void TakeRequest()
    {
        if (Interlocked.Increment(ref _requestsSent) > maxRequests)
        {
            Interlocked.Decrement(ref _requestsSent);
            _limitReached.TrySetResult();
            throw new RequestLimitReachedException();
        }
    }

    public void BeginWindow(long start, long plannedEnd)
    {
        Volatile.Write(ref _measureEnd, plannedEnd);
        Volatile.Write(ref _measureStart, start);
    }

    /// <summary>Ends the window now (request budget spent) if it is still open; returns the window's end.</summary>
    public long EndWindow(long now)
    {
        var end = Math.Min(now, MeasureEnd);
        Volatile.Write(ref _measureEnd, end);
        return end;
    }

    public void Stop() => _stopping = true;

    /// <summary>Rounds (<see cref="Scenario.InRounds"/>): while true, requests are the untimed preparation's and not recorded.</summary>
    public bool Untimed
    {
        get => _untimed;
        set => _untimed = value;
    }

    public bool InWindow(long start, long end) => start >= MeasureStart && end <= MeasureEnd;

    public void RecordRequest(string step, long start, long end, bool responded)
    {
        if (_untimed || start < MeasureStart || start > MeasureEnd)
        {
            return;
        }
        if (end <= MeasureEnd)
        {
            Interlocked.Increment(ref _requestsInWindow);
            if (responded)
            {
                if (!_steps.TryGetValue(step, out var histogram))
                {
                    histogram = _steps.Count < MaxSteps ? _steps.GetOrAdd(step, _ => new Histogram()) : _steps.GetOrAdd("(other)", _ => new Histogram());
                }
                histogram.RecordTicks(end - start);
            }
        }
    }

    public void RecordSuccess(long start, long end)
    {
        if (InWindow(start, end))
        {
            Interlocked.Increment(ref _operations);
            Latency.RecordTicks(end - start);
        }
        else if (start < MeasureStart)
        {
            Interlocked.Increment(ref _warmupOperations);
        }
    }

    /// <summary>Paced runs: the start delay of an operation that counts in the window (success or error).</summary>
    public void RecordStartDelay(long scheduled, long started, long end)
    {
        if (InWindow(scheduled, end))
        {
            StartDelay.RecordTicks(started - scheduled);
        }
    }

    public void RecordFailure(long start, long end, Exception exception)
    {
        string phase;
        if (InWindow(start, end))
        {
            Interlocked.Increment(ref _errors);
            phase = "measured";
        }
        else if (start < MeasureStart)
        {
            Interlocked.Increment(ref _warmupErrors);
            phase = "warm-up";
        }
        else
        {
            return; // finished after the window: neither counted nor reported
        }
        Remember(phase, exception);
    }

    /// <summary>
    /// Rounds: an operation counts in the window when its whole round does (the round's time and CPU are what is
    /// measured); an operation of a round that began in the warm-up counts there.
    /// </summary>
    public void RecordRoundOperation(bool roundInWindow, long start, long end, Exception? failure)
    {
        if (roundInWindow)
        {
            if (failure is null)
            {
                Interlocked.Increment(ref _operations);
                Latency.RecordTicks(end - start);
            }
            else
            {
                Interlocked.Increment(ref _errors);
                Remember("measured", failure);
            }
        }
        else if (start < MeasureStart)
        {
            if (failure is null)
            {
                Interlocked.Increment(ref _warmupOperations);
            }
            else
            {
                Interlocked.Increment(ref _warmupErrors);
                Remember("warm-up", failure);
            }
        }
    }

    public void RecordSetupFailure(Exception exception)
    {
        Interlocked.Increment(ref _setupErrors);
        Remember("set-up", exception);
    }

    public void Count(string counter) => _counters.AddOrUpdate(counter, 1, (_, n) => n + 1);

    public void Add(string counter, long amount) => _counters.AddOrUpdate(counter, amount, (_, n) => n + amount);

    public IReadOnlyDictionary<string, LatencySummary> StepSummaries() =>
        _steps.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(s => s.Key, s => s.Value.Summarize(), StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> ErrorKinds() =>
        _errorKinds.OrderByDescending(e => e.Value).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> Counters() =>
        _counters.OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);

    public IReadOnlyList<string> FirstErrors()
    {
        lock (_firstErrors)
        {
            return [.. _firstErrors];
        }
    }

    private void Remember(string phase, Exception exception)
    {
        var kind = exception is BenchException bench ? bench.Kind : exception.GetType().Name + ": " + exception.Message;
        var key = $"[{phase}] {kind}";
        if (_errorKinds.Count < MaxErrorKinds || _errorKinds.ContainsKey(key))
        {
            _errorKinds.AddOrUpdate(key, 1, (_, n) => n + 1);
        }
        lock (_firstErrors)
        {
            if (_firstErrors.Count < MaxFirstErrors && _firstErrorKinds.Add(kind))
            {
                var message = exception.Message.Length > 500 ? exception.Message[..500] + "…" : exception.Message;
                _firstErrors.Add($"[{phase}] {message}");
            }
        }
    }

    public static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
}
