using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using IdentityHub.Tests.Infrastructure;

namespace IdentityHub.Tests.Admin;

/// <summary>
/// scripts/admin-quickstart.sh, as an operator runs it: with curl alone, against a hub started with nothing but
/// the bootstrap admin secret, it registers a service and a citizen and logs that citizen in to that service.
/// </summary>
public sealed class QuickstartScriptTests
{
    [Fact]
    public async Task QuickstartScript_AgainstAFreshHub_RegistersAServiceAndACitizenAndLogsIn()
    {
        var port = Loopback.FreePort();
        var url = $"http://localhost:{port}";
        await using var hub = new HubFactory(HubDatabase.Sqlite, await HubFactory.NewDatabaseAsync(HubDatabase.Sqlite), new()
        {
            ["Hub:Issuer"] = url + "/",
            ["urls"] = url,
            ["Hub:Seed:Demo"] = "false",
        });
        hub.UseKestrel();
        hub.StartServer();

        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot(), "scripts", "admin-quickstart.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["HUB_URL"] = url, ["HUB_ADMIN_SECRET"] = HubFactory.AdminSecret },
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await output}\n{await error}");
        var printed = await output;
        Assert.Contains("\"given_name\":\"Lan\"", printed, StringComparison.Ordinal);
        Assert.Contains("\"acr\":\"eidas1\"", printed, StringComparison.Ordinal);
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
}
