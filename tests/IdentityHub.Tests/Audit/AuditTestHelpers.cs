using IdentityHub.Audit;
using IdentityHub.Data;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace IdentityHub.Tests.Audit;

internal static class AuditTestHelpers
{
    /// <summary>Seals until nothing written so far is left unsealed (the hub's own sealer may take a pass meanwhile).</summary>
    public static async Task SealAllAsync(HubFactory hub)
    {
        var sealer = hub.Services.GetRequiredService<AuditSealer>();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            await sealer.SealAsync(CancellationToken.None);
            await using var scope = hub.Services.CreateAsyncScope();
            if (!await scope.ServiceProvider.GetRequiredService<HubDbContext>().AuditEvents.AnyAsync(e => e.Sequence == null))
            {
                return;
            }
            await Task.Delay(20);
        }
        Assert.Fail("The audit events were not all sealed.");
    }

    public static async Task<AuditVerification> VerifyAsync(HubFactory hub)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AuditVerifier>().VerifyAsync(CancellationToken.None);
    }

    public static async Task<List<AuditEvent>> EventsAsync(HubFactory hub)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HubDbContext>().AuditEvents.AsNoTracking().OrderBy(e => e.Time).ThenBy(e => e.Id).ToListAsync();
    }

    /// <summary>Runs SQL on the hub's own connection (its role), as a database administrator would.</summary>
    public static async Task ExecuteAsync(HubFactory hub, string sql)
    {
        await using var connection = new NpgsqlConnection(hub.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>SQL run with the append-only triggers switched off, as only the tables' owner can: tampering.</summary>
    public static Task TamperAsync(HubFactory hub, string sql) => ExecuteAsync(hub, $"""
        BEGIN;
        ALTER TABLE "AuditEvents" DISABLE TRIGGER USER;
        {sql};
        ALTER TABLE "AuditEvents" ENABLE TRIGGER USER;
        COMMIT;
        """);

    /// <summary>A login of the demo citizen through the demo service, its code redeemed and its refresh token used.</summary>
    public static async Task LoginAsync(HubFactory hub, string username = "demo.citizen")
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        using var http = hub.CreateApiClient();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser, username))["code"]);
        Assert.Equal(System.Net.HttpStatusCode.OK, tokens.Status);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.RefreshAsync(http, tokens.RefreshToken)).Status);
    }
}
