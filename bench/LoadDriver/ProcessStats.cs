using System.Diagnostics;
using System.Globalization;

namespace LoadDriver;

/// <summary>One reading of a process's CPU time and memory from /proc (Linux).</summary>
internal sealed record ProcessSample(double CpuSeconds, double? RssMb, double? PeakRssMb, string? CpusAllowed = null);

/// <summary>
/// Reads another process's CPU time (utime + stime of /proc/PID/stat) and memory (VmRSS, VmHWM of /proc/PID/status).
/// /proc/PID/stat counts in clock ticks of USER_HZ, which the kernel fixes at 100 per second for user space on every
/// architecture .NET runs on (sysconf(_SC_CLK_TCK) returns it). Threads are included; child processes are not: give
/// the server's own pid, not that of a launcher such as <c>dotnet run</c> or <c>npm start</c>.
/// </summary>
internal static class ProcessStats
{
    public const double ClockTicksPerSecond = 100;

    public static ProcessSample? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            double? rss = null, peak = null;
            string? cpus = null;
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kilobytes(line);
                }
                else if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))
                {
                    cpus = line["Cpus_allowed_list:".Length..].Trim();
                }
            }
            return new ProcessSample(ticks / ClockTicksPerSecond, rss, peak, cpus);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// Several processes (instances of one server) read together: CPU time and RSS added up, peak RSS the largest
    /// process's (VmHWM is per process: the sum of peaks reached at different times would be no one instant's total).
    /// Null when any of them cannot be read.
    /// </summary>
    public static ProcessSample? Read(IReadOnlyList<int> pids)
    {
        if (pids.Count == 1)
        {
            return Read(pids[0]);
        }
        var samples = new List<ProcessSample>(pids.Count);
        foreach (var pid in pids)
        {
            if (Read(pid) is not { } sample)
            {
                return null;
            }
            samples.Add(sample);
        }
        return new ProcessSample(
            samples.Sum(s => s.CpuSeconds),
            samples.All(s => s.RssMb is not null) ? samples.Sum(s => s.RssMb) : null,
            samples.All(s => s.PeakRssMb is not null) ? samples.Max(s => s.PeakRssMb) : null,
            string.Join(" + ", samples.Select(s => s.CpusAllowed ?? "?").Distinct(StringComparer.Ordinal)));
    }

    /// <summary>The driver's own process: CPU through the runtime (Process.TotalProcessorTime), memory and affinity from /proc.</summary>
    public static ProcessSample Self()
    {
        using var process = Process.GetCurrentProcess();
        var proc = Read(Environment.ProcessId);
        return new ProcessSample(process.TotalProcessorTime.TotalSeconds, proc?.RssMb ?? process.WorkingSet64 / 1048576.0,
            proc?.PeakRssMb ?? process.PeakWorkingSet64 / 1048576.0, proc?.CpusAllowed);
    }

    /// <summary>The process's name (/proc/PID/comm): never its command line, which may carry secrets.</summary>
    public static string? Name(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/comm").Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether the process has children (whose CPU its /proc/PID/stat does not count): a launcher, probably.</summary>
    public static bool HasChildren(int pid)
    {
        try
        {
            var id = pid.ToString(CultureInfo.InvariantCulture);
            return Directory.EnumerateDirectories($"/proc/{id}/task")
                .Any(task => File.Exists(Path.Combine(task, "children")) && File.ReadAllText(Path.Combine(task, "children")).Trim().Length > 0);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static double Kilobytes(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(parts[1], CultureInfo.InvariantCulture) / 1024.0;
    }
}
