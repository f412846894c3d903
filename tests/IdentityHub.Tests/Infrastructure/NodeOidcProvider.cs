using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MockIdentityProvider;

namespace IdentityHub.Tests.Infrastructure;

/// <summary>One OpenID provider of the node process: its own port, issuer and clients (one per hub source).</summary>
/// <param name="EndSession">Whether the provider has an end-session endpoint (node-oidc-provider's rpInitiatedLogout).</param>
public sealed record NodeProviderDefinition(string Name, bool EndSession, IReadOnlyList<NodeClient> Clients);

/// <summary>A client of node-oidc-provider, registered for the hub's source <paramref name="SourceId"/>.</summary>
/// <param name="Metadata">Standard client metadata (client_id, client_secret, token_endpoint_auth_method, ...).</param>
/// <param name="ClaimsIn"><c>both</c>, <c>id_token</c> or <c>userinfo</c>: where the provider puts identity claims.</param>
public sealed record NodeClient(string SourceId, JsonObject Metadata, string ClaimsIn = "both")
{
    public string ClientId => Metadata["client_id"]!.GetValue<string>();
}

/// <summary>What the provider saw: <c>pushed_authorization_request</c>, <c>authorization</c>, <c>token</c>, or an error.</summary>
public sealed record NodeProviderEvent(string Event, string? ClientId, string? ClientAuthMethod, bool ClientIdInBody, string? RequestUri, string? Error, string? Description);

/// <summary>
/// node-oidc-provider 9 (tests/interop/oidc-provider), an OpenID-certified provider nobody on the team wrote, in one
/// node process serving several providers, with the mock provider's test people. Its packages are installed with
/// <c>npm ci</c> when missing; without Node.js and npm the tests fail saying so: they never skip.
/// </summary>
public sealed partial class NodeOidcProvider : IAsyncDisposable
{
    private static readonly SemaphoreSlim Install = new(1, 1);
    private static readonly Version MinimumNode = new(20, 19);

    private readonly Process _process;
    private readonly string _settingsFile;
    private readonly StringBuilder _log;

    private NodeOidcProvider(Process process, string settingsFile, StringBuilder log, IReadOnlyDictionary<string, string> issuers)
    {
        _process = process;
        _settingsFile = settingsFile;
        _log = log;
        Issuers = issuers;
    }

    /// <summary>Provider name → issuer (<c>http://127.0.0.1:{port}</c>).</summary>
    public IReadOnlyDictionary<string, string> Issuers { get; }

    /// <summary>What the process wrote to stderr so far (errors the provider reported), for assertion messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<NodeOidcProvider> StartAsync(string hubIssuer, IReadOnlyList<NodeProviderDefinition> providers)
    {
        var directory = Path.Combine(RepositoryRoot(), "tests", "interop", "oidc-provider");
        await EnsureInstalledAsync(directory);

        var settings = new JsonObject
        {
            ["hubIssuer"] = hubIssuer,
            ["people"] = new JsonArray([.. TestPeople.All.Select(Person)]),
            ["providers"] = new JsonArray([.. providers.Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Name,
                ["port"] = 0,
                ["endSession"] = p.EndSession,
                ["clients"] = new JsonArray([.. p.Clients.Select(c => (JsonNode)new JsonObject
                {
                    ["sourceId"] = c.SourceId,
                    ["claimsIn"] = c.ClaimsIn,
                    ["metadata"] = c.Metadata.DeepClone(),
                })]),
            })]),
        };
        var settingsFile = Path.Combine(Path.GetTempPath(), $"identityhub-oidc-provider-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(settingsFile, settings.ToJsonString());

        var start = new ProcessStartInfo("node", [Path.Combine(directory, "provider.js"), settingsFile, "--exit-with-stdin"])
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["NODE_ENV"] = "production" },
        };
        var log = new StringBuilder();
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data?.StartsWith("READY ", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult(line.Data["READY ".Length..]);
            }
        };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                lock (log)
                {
                    log.AppendLine(line.Data);
                }
            }
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"node-oidc-provider exited with code {process.ExitCode} before it was ready:\n{log}"));
        StartOrExplain(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            var line = await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var issuers = JsonNode.Parse(line)!["providers"]!.AsArray()
                .ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!["issuer"]!.GetValue<string>(), StringComparer.Ordinal);
            return new NodeOidcProvider(process, settingsFile, log, issuers);
        }
        catch
        {
            Stop(process);
            File.Delete(settingsFile);
            throw;
        }
    }

    /// <summary>Everything provider <paramref name="name"/> saw since it started, oldest first.</summary>
    public async Task<List<NodeProviderEvent>> EventsAsync(string name)
    {
        using var http = new HttpClient();
        return (await http.GetFromJsonAsync<List<NodeProviderEvent>>(Issuers[name] + "/test/events", JsonSerializerOptions.Web))!;
    }

    public async ValueTask DisposeAsync()
    {
        Stop(_process);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        File.Delete(_settingsFile);
    }

    private static JsonNode Person(TestPerson person) => new JsonObject
    {
        ["username"] = person.Username,
        ["displayName"] = person.DisplayName,
        ["subject"] = person.Subject,
        ["claims"] = new JsonObject([.. person.Claims.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value))]),
        // The mock provider's defaults, so a person is the same person at both.
        ["acr"] = person.Acr ?? new MockIdentityProviderOptions().Acr,
        ["amr"] = new JsonArray([.. (person.Amr ?? ["pwd", "otp"]).Select(a => (JsonNode)a)]),
        ["claimsOnlyInUserInfo"] = person.ClaimsOnlyInUserInfo,
    };

    private static void Stop(Process process)
    {
        try
        {
            // Closing its standard input ends the provider (--exit-with-stdin); a kill is the fallback.
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(3)))
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // It had already exited.
        }
    }

    private static async Task EnsureInstalledAsync(string directory)
    {
        await Install.WaitAsync();
        try
        {
            var version = await RunAsync("node", ["--version"], directory);
            if (!Version.TryParse(NodeVersion().Match(version).Value, out var node) || node < MinimumNode)
            {
                throw new InvalidOperationException($"The node-oidc-provider tests need Node.js {MinimumNode} or later (node-oidc-provider 9); found {version.Trim()}.");
            }
            var installed = Path.Combine(directory, "node_modules", ".package-lock.json");
            if (File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(Path.Combine(directory, "package-lock.json")))
            {
                return;
            }
            await RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], directory, TimeSpan.FromMinutes(5));
        }
        finally
        {
            Install.Release();
        }
    }

    private static async Task<string> RunAsync(string command, string[] arguments, string directory, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(command, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = new Process { StartInfo = start };
        StartOrExplain(process);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command} {string.Join(' ', arguments)}' in {directory} failed with exit code {process.ExitCode}:\n{await output}\n{await error}");
        }
        return await output;
    }

    private static void StartOrExplain(Process process)
    {
        try
        {
            process.Start();
        }
        catch (Win32Exception exception)
        {
            throw new InvalidOperationException(
                $"The node-oidc-provider tests need Node.js {MinimumNode} or later and npm on the PATH, and '{process.StartInfo.FileName}' " +
                "could not be started (Debian: apt-get install -y nodejs npm; .ci/run installs them).", exception);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "IdentityHub.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("IdentityHub.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"\d+\.\d+(\.\d+)?")]
    private static partial Regex NodeVersion();
}
