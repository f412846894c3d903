namespace LoadDriver;

// The JSON written to --out (System.Text.Json, camelCase, nulls omitted). Schema "identityhub-bench-loaddriver/1":
//
// {
//   "schema": "identityhub-bench-loaddriver/1",
//   "scenario": "login",                    // discovery | jwks | client-credentials | refresh | login | federated-login | introspection | userinfo
//   "server": "hub",                        // hub | peer, or as labelled (--server hub-x2)
//   "baseUrl": "http://127.0.0.1:5580/",
//   "operation": "one full login in a fresh cookie jar …",   // what one operation is
//   "concurrency": 8,                       // workers, each looping one operation after the other
//   "targetRate": 350.0,                    // with --rate only: operations per second paced from a shared schedule
//   "workersReady": 8,                      // workers whose set-up succeeded (the others did not run)
//   "rounds": 25,                           // logout only: measured rounds (every worker prepares, untimed, then all run); measuredSeconds, ops/s and CPU cover the rounds' timed parts
//   "warmupSeconds": 5, "requestedSeconds": 10,
//   "measuredSeconds": 10.0,                // the window actually measured (shorter when max-requests ended it)
//   "startedAt": "2025-…Z", "finishedAt": "2025-…Z",     // the measured window, UTC
//   "stoppedBy": "time",                    // time | max-requests
//   "maxRequests": 2000000, "requestsSent": 123456,       // HTTP requests in the whole run (start-up, set-up, warm-up included)
//   "operations": 1234,                     // operations started and completed successfully inside the window
//   "errors": 0,                            // operations started and failed inside the window
//   "errorRate": 0.0,                       // errors / (operations + errors)
//   "scheduledOperations": 3500,            // with --rate only: schedule slots whose start time fell inside the window
//   "warmupOperations": 100, "warmupErrors": 0, "setupErrors": 0,
//   "opsPerSecond": 123.4,                  // operations / measuredSeconds
//   "httpRequestsInWindow": 9872, "httpRequestsPerSecond": 987.2,
//   "latencyMs": { "count", "minMs", "meanMs", "p50Ms", "p90Ms", "p95Ms", "p99Ms", "p999Ms", "maxMs" },   // per operation
//                                           // (with --rate: from the slot's scheduled start, not from the request)
//   "startDelayMs": { same fields },        // with --rate only: actual start − scheduled start (no free worker, timer)
//   "steps": { "GET /connect/authorize": { same fields }, "POST /registry/signin": {…}, "upstream GET /authorize": {…}, … },
//                                           // per HTTP request in the window that got a response; ids in paths are ":id",
//                                           // "#2" marks a second visit of the same path in one operation, "upstream" another server
//   "errorKinds": { "[measured] POST /connect/token: HTTP 400 invalid_grant": 3 },   // counts by kind and phase
//   "firstErrors": [ "…", "…", "…" ],      // the first 3 distinct errors of any phase, with detail
//   "counters": { "refreshNotRotated": 0, "reLoginsAfterFailure": 0 },   // whole run
//   "serverProcess": {                      // present with --server-pid; "upstreamProcess" likewise with --upstream-pid
//     "pid": 1234, "name": "dotnet", "cpusAllowed": "1",
//     "pids": [1234, 1240],                 // several --server-pid instances: CPU and RSS added up, peakRssMb the largest
//     "cpuSeconds": 9.8,                    // utime+stime consumed during the window (/proc/PID/stat, 100 ticks/s)
//     "cpuMsPerOperation": 7.9,             // cpuSeconds * 1000 / operations
//     "cpuCores": 0.98,                     // cpuSeconds / measuredSeconds
//     "rssMbStart": 180.1, "rssMbEnd": 190.2,   // VmRSS at the window's start and end
//     "peakRssMb": 210.5,                   // VmHWM at the window's end: the peak since the process started
//     "warning": null                       // e.g. the pid has children whose CPU is not counted
//   },
//   "driverProcess": { … same fields … },   // the load driver itself (Process.TotalProcessorTime)
//   "connections": { "model": "…", "maxConnectionsPerServer": 8, "timeoutSeconds": 30, "cookies": "…" },
//   "settings": { "clientId", "scope", "username", "redirectUri", "idpHint", "prompt", "uiLocales", "upstreamPerson", "tokenSource" },   // never secrets
//   "machine": { "processorCount": 2, "os": "…", "runtime": ".NET 10.0.x" }
// }

internal sealed record BenchResult
{
    public string Schema { get; init; } = "identityhub-bench-loaddriver/1";
    public required string Scenario { get; init; }
    public required string Server { get; init; }
    public required string BaseUrl { get; init; }
    public required string Operation { get; init; }
    public required int Concurrency { get; init; }
    public double? TargetRate { get; init; }
    public required int WorkersReady { get; init; }

    /// <summary>Rounds scenarios (logout): the measured rounds; measuredSeconds is then the sum of their timed parts.</summary>
    public int? Rounds { get; init; }
    public required double WarmupSeconds { get; init; }
    public required double RequestedSeconds { get; init; }
    public required double MeasuredSeconds { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    public required string StoppedBy { get; init; }
    public required long MaxRequests { get; init; }
    public required long RequestsSent { get; init; }
    public required long Operations { get; init; }
    public required long Errors { get; init; }
    public required double ErrorRate { get; init; }
    public long? ScheduledOperations { get; init; }
    public required long WarmupOperations { get; init; }
    public required long WarmupErrors { get; init; }
    public required long SetupErrors { get; init; }
    public required double OpsPerSecond { get; init; }
    public required long HttpRequestsInWindow { get; init; }
    public required double HttpRequestsPerSecond { get; init; }
    public required LatencySummary LatencyMs { get; init; }
    public LatencySummary? StartDelayMs { get; init; }
    public required IReadOnlyDictionary<string, LatencySummary> Steps { get; init; }
    public required IReadOnlyDictionary<string, long> ErrorKinds { get; init; }
    public required IReadOnlyList<string> FirstErrors { get; init; }
    public required IReadOnlyDictionary<string, long> Counters { get; init; }
    public ProcessResult? ServerProcess { get; init; }
    public ProcessResult? UpstreamProcess { get; init; }
    public required ProcessResult DriverProcess { get; init; }
    public required ConnectionSettings Connections { get; init; }
    public required ScenarioSettings Settings { get; init; }
    public required MachineInfo Machine { get; init; }
}

internal sealed record ProcessResult
{
    public int? Pid { get; init; }
    public string? Name { get; init; }
    public string? CpusAllowed { get; init; }
    public IReadOnlyList<int>? Pids { get; init; }
    public double? CpuSeconds { get; init; }
    public double? CpuMsPerOperation { get; init; }
    public double? CpuCores { get; init; }
    public double? RssMbStart { get; init; }
    public double? RssMbEnd { get; init; }
    public double? PeakRssMb { get; init; }
    public string? Warning { get; init; }

    public static ProcessResult From(int? pid, string? name, ProcessSample? before, ProcessSample? after, long operations, double seconds, string? warning)
    {
        if (before is null || after is null)
        {
            return new ProcessResult { Pid = pid, Name = name, Warning = warning ?? "the process could not be read (exited? not Linux?)" };
        }
        var cpu = after.CpuSeconds - before.CpuSeconds;
        return new ProcessResult
        {
            Pid = pid,
            Name = name,
            CpusAllowed = after.CpusAllowed,
            CpuSeconds = Math.Round(cpu, 3),
            CpuMsPerOperation = operations > 0 ? Math.Round(cpu * 1000 / operations, 4) : null,
            CpuCores = seconds > 0 ? Math.Round(cpu / seconds, 3) : null,
            RssMbStart = Round(before.RssMb),
            RssMbEnd = Round(after.RssMb),
            PeakRssMb = Round(after.PeakRssMb),
            Warning = warning,
        };
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 1) : null;
}

internal sealed record ConnectionSettings(string Model, int MaxConnectionsPerServer, double TimeoutSeconds, string Cookies);

internal sealed record ScenarioSettings(string ClientId, string Scope, string Username, string RedirectUri, string? IdpHint, string? Prompt,
    string? UiLocales, string UpstreamPerson, string TokenSource, string? AcrValues);

internal sealed record MachineInfo(int ProcessorCount, string Os, string Runtime);
