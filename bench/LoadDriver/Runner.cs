using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoadDriver;

/// <summary>
/// One run: discovery, per-worker set-up, warm-up, the measured window, then the summary line and the JSON.
/// </summary>
internal static class Runner
{
    private const int SetupAttempts = 3;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task<int> RunAsync(DriverOptions options, TextWriter log)
    {
        var state = new RunState(options.MaxRequests);
        using var handler = BenchHttp.CreateHandler(options.Concurrency);
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds) };
        using var stop = new CancellationTokenSource();
        var http = new BenchHttp(client, state, options.BaseUrl);

        Endpoints endpoints;
        try
        {
            endpoints = await Endpoints.LoadAsync(http, stop.Token);
        }
        catch (Exception exception) when (exception is BenchException or JsonException or KeyNotFoundException or InvalidOperationException or UriFormatException)
        {
            await log.WriteLineAsync($"{options.Scenario} {options.ServerName}: cannot start: {exception.Message}");
            return 1;
        }
        var oidc = new Oidc(http, options, endpoints);
        Scenario scenario;
        try
        {
            scenario = Scenario.Create(options, oidc, state);
            await scenario.InitializeAsync(options.Concurrency, log, stop.Token);
        }
        catch (UsageException exception)
        {
            await log.WriteLineAsync($"{options.Scenario} {options.ServerName}: {exception.Message}");
            return 2;
        }
        catch (Exception exception) when (exception is BenchException or IOException)
        {
            await log.WriteLineAsync($"{options.Scenario} {options.ServerName}: cannot start: {exception.Message}");
            return 1;
        }

        var serverWarnings = options.ServerPids.Select(pid => Warning(pid)).OfType<string>().ToList();
        var serverWarning = serverWarnings.Count > 0 ? string.Join("; ", serverWarnings) : null;
        var upstreamWarning = Warning(options.UpstreamPid);
        foreach (var (label, warning) in new[] { ("--server-pid", serverWarning), ("--upstream-pid", upstreamWarning) })
        {
            if (warning is not null)
            {
                await log.WriteLineAsync($"{options.Scenario} {options.ServerName}: {label}: {warning}");
            }
        }

        // Set-up (untimed): every worker at once, each retried a few times.
        var setupClock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, options.Concurrency).Select(i => new Worker(i)).ToList();
        var ready = await Task.WhenAll(workers.Select(w => SetupAsync(scenario, w, state, stop.Token)));
        var running = workers.Where((_, i) => ready[i]).ToList();
        if (setupClock.Elapsed > TimeSpan.FromSeconds(1) || running.Count < workers.Count)
        {
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{options.Scenario} {options.ServerName}: set-up {setupClock.Elapsed.TotalSeconds:0.0} s, {running.Count}/{workers.Count} workers ready"));
        }
        if (running.Count == 0)
        {
            await log.WriteLineAsync($"{options.Scenario} {options.ServerName}: no worker could be set up: {string.Join(" | ", state.FirstErrors())}");
        }

        // With --rate, the schedule starts now: it runs through the warm-up, steady when the window opens.
        var schedule = options.Rate is { } rate ? new Schedule(rate, Stopwatch.GetTimestamp()) : null;
        var rounds = scenario.InRounds ? new Rounds() : null;
        var loops = rounds is not null
            ? [Task.Run(() => RoundsAsync(scenario, running, state, rounds, options, stop.Token))]
            : running.Select(w => Task.Run(() => schedule is null
                ? LoopAsync(scenario, w, state, stop.Token)
                : PacedLoopAsync(scenario, w, state, schedule, stop.Token))).ToList();

        // Warm-up: operations run, results discarded.
        await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds)), state.LimitReached, Task.WhenAll(loops));

        // The measured window.
        var serverBefore = Sample(options.ServerPids);
        var upstreamBefore = Sample(options.UpstreamPid);
        var driverBefore = ProcessStats.Self();
        var start = Stopwatch.GetTimestamp();
        var startedAt = DateTimeOffset.UtcNow;
        var plannedEnd = start + (long)(options.Seconds * Stopwatch.Frequency);
        state.BeginWindow(start, plannedEnd);
        if (!state.LimitReached.IsCompleted)
        {
            var remaining = TimeSpan.FromSeconds(RunState.Seconds(plannedEnd - Stopwatch.GetTimestamp()));
            await Task.WhenAny(Task.Delay(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero), state.LimitReached, Task.WhenAll(loops));
        }
        var end = state.EndWindow(Stopwatch.GetTimestamp());
        var stoppedBy = state.LimitReached.IsCompleted ? "max-requests" : "time";
        var serverAfter = Sample(options.ServerPids);
        var upstreamAfter = Sample(options.UpstreamPid);
        var driverAfter = ProcessStats.Self();
        var finishedAt = DateTimeOffset.UtcNow;

        // Stop: in-flight operations end after the window and are discarded; cancel them rather than wait.
        state.Stop();
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        scenario.Finish();

        var seconds = Math.Max(rounds is null ? RunState.Seconds(end - start) : rounds.Seconds, 1e-9);
        if (rounds is not null)
        {
            // Only the rounds' operation parts are measured: their CPU replaces the whole window's.
            serverAfter = rounds.ServerCpuSeconds is { } serverCpu && serverBefore is not null ? serverAfter! with { CpuSeconds = serverBefore.CpuSeconds + serverCpu } : null;
            upstreamAfter = rounds.UpstreamCpuSeconds is { } upstreamCpu && upstreamBefore is not null ? upstreamAfter! with { CpuSeconds = upstreamBefore.CpuSeconds + upstreamCpu } : null;
        }
        var operations = state.Operations;
        var errors = state.Errors;
        var result = new BenchResult
        {
            Scenario = options.Scenario,
            Server = options.ServerName,
            BaseUrl = options.BaseUrl.AbsoluteUri,
            Operation = scenario.Operation,
            Concurrency = options.Concurrency,
            TargetRate = options.Rate,
            WorkersReady = running.Count,
            Rounds = rounds?.Count,
            WarmupSeconds = options.WarmupSeconds,
            RequestedSeconds = options.Seconds,
            MeasuredSeconds = Math.Round(seconds, 3),
            StartedAt = startedAt,
            FinishedAt = finishedAt,
            StoppedBy = stoppedBy,
            MaxRequests = options.MaxRequests,
            RequestsSent = state.RequestsSent,
            Operations = operations,
            Errors = errors,
            ErrorRate = operations + errors > 0 ? Math.Round((double)errors / (operations + errors), 6) : 0,
            ScheduledOperations = schedule?.SlotsBetween(start, end),
            WarmupOperations = state.WarmupOperations,
            WarmupErrors = state.WarmupErrors,
            SetupErrors = state.SetupErrors,
            OpsPerSecond = Math.Round(operations / seconds, 2),
            HttpRequestsInWindow = state.RequestsInWindow,
            HttpRequestsPerSecond = Math.Round(state.RequestsInWindow / seconds, 2),
            LatencyMs = state.Latency.Summarize(),
            StartDelayMs = schedule is null ? null : state.StartDelay.Summarize(),
            Steps = state.StepSummaries(),
            ErrorKinds = state.ErrorKinds(),
            FirstErrors = state.FirstErrors(),
            Counters = state.Counters(),
            ServerProcess = options.ServerPids is [var serverPid, ..]
                ? ProcessResult.From(serverPid, ProcessStats.Name(serverPid), serverBefore, serverAfter, operations, seconds, serverWarning) with
                {
                    Pids = options.ServerPids.Count > 1 ? options.ServerPids : null,
                }
                : null,
            UpstreamProcess = options.UpstreamPid is { } upstreamPid
                ? ProcessResult.From(upstreamPid, ProcessStats.Name(upstreamPid), upstreamBefore, upstreamAfter, operations, seconds, upstreamWarning)
                : null,
            DriverProcess = ProcessResult.From(Environment.ProcessId, "LoadDriver", driverBefore, driverAfter, operations, seconds, null),
            Connections = new ConnectionSettings(
                "one shared HttpClient (SocketsHttpHandler, HTTP/1.1 keep-alive): connections are pooled and reused across "
                + "workers and iterations; redirects followed by the driver",
                options.Concurrency, options.TimeoutSeconds,
                "a fresh cookie jar for every login iteration (not a fresh TCP connection); no cookies elsewhere"),
            Settings = new ScenarioSettings(options.ClientId, options.Scope,
                options.TotpAccountsPath is null ? options.Username : "the bench people of --totp-accounts, in turn", options.RedirectUri.OriginalString,
                options.IdpHint, options.Prompt, options.UiLocales, options.UpstreamPerson,
                options.TokenSource == TokenSource.Login ? "login" : "client-credentials", options.AcrValues),
            Machine = new MachineInfo(Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription),
        };

        Console.Out.WriteLine(SummaryLine(result));
        if (options.OutPath is { } path)
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(result, Json) + "\n");
        }
        if (result.FirstErrors.Count > 0)
        {
            await log.WriteLineAsync($"{options.Scenario} {options.ServerName}: first errors: {string.Join(" | ", result.FirstErrors)}");
        }
        return errors > 0 || operations == 0 ? 3 : 0;
    }

    /// <summary>scenario=… server=… concurrency=… [target_rate=…/s] ops/s=… p50=…ms p95=…ms p99=…ms errors=… cpu=…ms/op rss_peak=…MB …</summary>
    public static string SummaryLine(BenchResult r)
    {
        var rate = r.TargetRate is { } target ? string.Create(CultureInfo.InvariantCulture, $" target_rate={target:0.0}/s") : "";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"scenario={r.Scenario} server={r.Server} concurrency={r.Concurrency}{rate} ops/s={r.OpsPerSecond:0.0} p50={r.LatencyMs.P50Ms:0.00}ms p95={r.LatencyMs.P95Ms:0.00}ms p99={r.LatencyMs.P99Ms:0.00}ms errors={r.Errors}");
        line += ProcessPart("cpu", "rss_peak", r.ServerProcess);
        if (r.UpstreamProcess is not null)
        {
            line += ProcessPart("upstream_cpu", "upstream_rss_peak", r.UpstreamProcess);
        }
        line += string.Create(CultureInfo.InvariantCulture, $" driver_cpu={Format(r.DriverProcess.CpuMsPerOperation, "0.000", "ms/op")}");
        if (r.StoppedBy != "time")
        {
            line += " stopped_by=" + r.StoppedBy;
        }
        return line;
    }

    private static string ProcessPart(string cpuKey, string rssKey, ProcessResult? process) => process is null
        ? $" {cpuKey}=n/a {rssKey}=n/a"
        : string.Create(CultureInfo.InvariantCulture,
            $" {cpuKey}={Format(process.CpuMsPerOperation, "0.000", "ms/op")} {rssKey}={Format(process.PeakRssMb, "0.0", "MB")}");

    private static string Format(double? value, string format, string unit) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) + unit : "n/a";

    private static ProcessSample? Sample(int? pid) => pid is { } p ? ProcessStats.Read(p) : null;

    private static ProcessSample? Sample(IReadOnlyList<int> pids) => pids.Count > 0 ? ProcessStats.Read(pids) : null;

    private static string? Warning(int? pid)
    {
        if (pid is not { } p)
        {
            return null;
        }
        if (ProcessStats.Read(p) is null)
        {
            return $"process {p.ToString(CultureInfo.InvariantCulture)} cannot be read from /proc";
        }
        return ProcessStats.HasChildren(p)
            ? "the process has child processes, whose CPU and memory are not counted: is it a launcher (dotnet run, npm)?"
            : null;
    }

    private static async Task<bool> SetupAsync(Scenario scenario, Worker worker, RunState state, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= SetupAttempts; attempt++)
        {
            try
            {
                await scenario.SetupAsync(worker, cancellationToken);
                return true;
            }
            catch (RequestLimitReachedException)
            {
                return false;
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                state.RecordSetupFailure(exception);
            }
        }
        return false;
    }

    private static async Task LoopAsync(Scenario scenario, Worker worker, RunState state, CancellationToken cancellationToken)
    {
        while (!state.Stopping)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                await scenario.PrepareAsync(worker, cancellationToken);
                start = Stopwatch.GetTimestamp();
                await scenario.RunAsync(worker, cancellationToken);
                state.RecordSuccess(start, Stopwatch.GetTimestamp());
            }
            catch (RequestLimitReachedException)
            {
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Any failure is a measured error (exceptions included): never let one end a worker silently.
                state.RecordFailure(start, Stopwatch.GetTimestamp(), exception);
                scenario.OnFailure(worker);
            }
        }
    }

    /// <summary>
    /// Rounds (<see cref="Scenario.InRounds"/>): every worker's untimed preparation at once, then every prepared
    /// worker's operation at once; the time and the server's CPU are read around the operations only, so that a login
    /// before each logout is not counted as the logout's. Throughput is operations per second of the rounds' timed parts.
    /// </summary>
    private static async Task RoundsAsync(Scenario scenario, IReadOnlyList<Worker> workers, RunState state, Rounds rounds, DriverOptions options,
        CancellationToken cancellationToken)
    {
        while (!state.Stopping)
        {
            state.Untimed = true;
            var prepared = await Task.WhenAll(workers.Select(async worker =>
            {
                try
                {
                    await scenario.PrepareAsync(worker, cancellationToken);
                    return (bool?)true;
                }
                catch (RequestLimitReachedException)
                {
                    return null;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return null;
                }
                catch (Exception exception)
                {
                    state.RecordSetupFailure(exception);
                    scenario.OnFailure(worker);
                    return false;
                }
            }));
            state.Untimed = false;
            if (state.Stopping || prepared.Any(p => p is null))
            {
                return;
            }
            var ready = workers.Where((_, i) => prepared[i] == true).ToList();
            var serverBefore = Sample(options.ServerPids);
            var upstreamBefore = Sample(options.UpstreamPid);
            var start = Stopwatch.GetTimestamp();
            var outcomes = await Task.WhenAll(ready.Select(async worker =>
            {
                var begun = Stopwatch.GetTimestamp();
                try
                {
                    await scenario.RunAsync(worker, cancellationToken);
                    return new RoundOutcome(worker, begun, Stopwatch.GetTimestamp(), null, false);
                }
                catch (Exception exception) when (exception is RequestLimitReachedException
                    || (exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    return new RoundOutcome(worker, begun, Stopwatch.GetTimestamp(), null, true);
                }
                catch (Exception exception)
                {
                    return new RoundOutcome(worker, begun, Stopwatch.GetTimestamp(), exception, false);
                }
            }));
            var end = Stopwatch.GetTimestamp();
            var aborted = outcomes.Any(o => o.Abort);
            var inWindow = !aborted && ready.Count > 0 && state.InWindow(start, end);
            if (inWindow)
            {
                rounds.Add(end - start, Sample(options.ServerPids), serverBefore, Sample(options.UpstreamPid), upstreamBefore);
            }
            foreach (var outcome in outcomes.Where(o => !o.Abort))
            {
                state.RecordRoundOperation(inWindow, outcome.Start, outcome.End, outcome.Failure);
                if (outcome.Failure is not null)
                {
                    scenario.OnFailure(outcome.Worker);
                }
            }
            if (aborted)
            {
                return;
            }
        }
    }

    /// <summary>
    /// --rate: before each operation the worker takes the next slot of the shared schedule and waits for its time.
    /// The operation's latency runs from the slot's time, so a slot that found no free worker (or a server that fell
    /// behind) shows in it; an operation counts in the window when its slot's time is in the window.
    /// </summary>
    private static async Task PacedLoopAsync(Scenario scenario, Worker worker, RunState state, Schedule schedule, CancellationToken cancellationToken)
    {
        while (!state.Stopping)
        {
            var start = Stopwatch.GetTimestamp();
            long? started = null;
            try
            {
                // Untimed, before taking a slot: a token obtained again after a failure.
                await scenario.PrepareAsync(worker, cancellationToken);
                start = schedule.Next();
                await Schedule.WaitUntilAsync(start, cancellationToken);
                started = Stopwatch.GetTimestamp();
                await scenario.RunAsync(worker, cancellationToken);
                var end = Stopwatch.GetTimestamp();
                state.RecordStartDelay(start, started.Value, end);
                state.RecordSuccess(start, end);
            }
            catch (RequestLimitReachedException)
            {
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                var end = Stopwatch.GetTimestamp();
                if (started is { } begun)
                {
                    state.RecordStartDelay(start, begun, end);
                }
                state.RecordFailure(start, end, exception);
                scenario.OnFailure(worker);
            }
        }
    }
}

/// <summary>One worker's operation in a round; Abort: cut short by the end of the run or the request budget (not counted).</summary>
internal sealed record RoundOutcome(Worker Worker, long Start, long End, Exception? Failure, bool Abort);

/// <summary>What the measured rounds add up to: their timed parts' duration and the CPU the processes spent in them.</summary>
internal sealed class Rounds
{
    private long _ticks;
    private bool _serverUnreadable;
    private bool _upstreamUnreadable;
    private double _serverCpu;
    private double _upstreamCpu;

    public int Count { get; private set; }

    public double Seconds => RunState.Seconds(_ticks);

    /// <summary>Null when a reading failed in some round (the process could not be read, or none was given).</summary>
    public double? ServerCpuSeconds => _serverUnreadable ? null : _serverCpu;

    public double? UpstreamCpuSeconds => _upstreamUnreadable ? null : _upstreamCpu;

    public void Add(long ticks, ProcessSample? serverAfter, ProcessSample? serverBefore, ProcessSample? upstreamAfter, ProcessSample? upstreamBefore)
    {
        Count++;
        _ticks += ticks;
        Accumulate(serverAfter, serverBefore, ref _serverCpu, ref _serverUnreadable);
        Accumulate(upstreamAfter, upstreamBefore, ref _upstreamCpu, ref _upstreamUnreadable);
    }

    private static void Accumulate(ProcessSample? after, ProcessSample? before, ref double total, ref bool unreadable)
    {
        if (after is null || before is null)
        {
            unreadable = true;
        }
        else
        {
            total += after.CpuSeconds - before.CpuSeconds;
        }
    }
}
