using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Testcontainers.PostgreSql;

namespace IdentityHub.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole test run, from the first of: <c>HUB_TEST_POSTGRES</c> (a connection
/// string), a Docker engine (Testcontainers), or a throwaway local cluster made with initdb/pg_ctl on a free
/// loopback port and removed when the run ends. Each test class gets a database of its own.
/// When none of these works the tests fail with a message saying what is missing: they never skip.
/// </summary>
public static class PostgresCluster
{
    private static readonly Lazy<Task<string>> Server = new(StartAsync);

    public static async Task<string> CreateDatabaseAsync()
    {
        var admin = await Server.Value;
        var name = "hub_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }

    private static async Task<string> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("HUB_TEST_POSTGRES") is { Length: > 0 } configured)
        {
            return configured;
        }
        if (DockerIsAvailable())
        {
            var container = new PostgreSqlBuilder("postgres:15-alpine").Build();
            await container.StartAsync();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return container.GetConnectionString();
        }
        return await LocalCluster.StartAsync();
    }

    private static bool DockerIsAvailable() =>
        File.Exists("/var/run/docker.sock") || Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 };

    private static class LocalCluster
    {
        public static async Task<string> StartAsync()
        {
            var bin = FindBinaries() ?? throw new InvalidOperationException(
                "The PostgreSQL tests need a database server and found none. Provide one of: HUB_TEST_POSTGRES " +
                "(a connection string to a server where the tests may create databases), a Docker engine, or the " +
                "PostgreSQL server binaries (Debian: apt-get install -y postgresql).");

            RemoveAbandonedClusters();
            var directory = Path.Combine(Path.GetTempPath(), "identityhub-pg-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(directory);
            var asRoot = Environment.UserName == "root";
            if (asRoot)
            {
                // initdb and pg_ctl refuse to run as root: the cluster belongs to the postgres user.
                await RunAsync("chown", ["postgres:postgres", directory], asPostgres: false);
            }
            var data = Path.Combine(directory, "data");
            var port = FreePort();
            await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C"], asRoot);
            var options = $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
            await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-o", options, "-l", Path.Combine(directory, "server.log"), "-w", "-t", "60", "start"], asRoot);

            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], asRoot).GetAwaiter().GetResult();
                TryDelete(directory);
            };
            return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Include Error Detail=true";
        }

        /// <summary>A run that was killed leaves its cluster behind; its server is gone, so its folder can go.</summary>
        private static void RemoveAbandonedClusters()
        {
            foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), "identityhub-pg-*"))
            {
                var pidFile = Path.Combine(directory, "data", "postmaster.pid");
                var running = File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && Directory.Exists($"/proc/{pid}");
                if (!running && Directory.GetLastWriteTimeUtc(directory) < DateTime.UtcNow.AddMinutes(-1))
                {
                    TryDelete(directory);
                }
            }
        }

        private static void TryDelete(string directory)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Left for the next run's sweep.
            }
            catch (UnauthorizedAccessException)
            {
                // Likewise.
            }
        }

        private static string? FindBinaries()
        {
            const string root = "/usr/lib/postgresql";
            return Directory.Exists(root)
                ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin"))
                    .Where(d => File.Exists(Path.Combine(d, "initdb")))
                    .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                    .FirstOrDefault()
                : null;
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        private static async Task RunAsync(string file, string[] arguments, bool asPostgres)
        {
            var start = new ProcessStartInfo(asPostgres ? "runuser" : file)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.GetTempPath(),
            };
            if (asPostgres)
            {
                foreach (var part in (string[])["-u", "postgres", "--", file])
                {
                    start.ArgumentList.Add(part);
                }
            }
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
            }
        }
    }
}
