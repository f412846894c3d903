using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdentityHub.Audit;
using IdentityHub.Data;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using static IdentityHub.Tests.Audit.AuditTestHelpers;

namespace IdentityHub.Tests.Audit;

/// <summary>The audit trail on PostgreSQL (CONTRACT section 6): what is recorded, the chain, its verification, the archive.</summary>
public sealed class AuditTrailTests(PostgresHub hub) : IClassFixture<PostgresHub>
{
    [Fact]
    public async Task Login_RecordsItsAuthenticationAndTokens_WithoutASecret()
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var signIn = await browser.NavigateAsync(client.AuthorizeUrl());
        var refused = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = "Wrong-Passw0rd!" });
        Assert.Equal(HttpStatusCode.OK, refused.Status);
        var back = await browser.SubmitAsync(refused, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = "Demo-Passw0rd!" });
        var code = client.CallbackParameters(back)["code"];
        using var http = hub.CreateApiClient();
        var tokens = await client.RedeemAsync(http, code);
        var refreshed = await client.RefreshAsync(http, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);

        var person = $"person:{await PersonIdAsync("demo.citizen")}";
        var events = (await EventsAsync(hub)).Where(e => e.Subject == person).ToList();
        var failed = Assert.Single(events, e => e.Type == AuditTypes.LoginFailed && e.Detail == "wrong_password" && e.Time >= DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal(("registry", "failure"), (failed.Source, failed.Outcome));
        var succeeded = events.Last(e => e.Type == AuditTypes.LoginSucceeded);
        Assert.Equal(("registry", "eidas1", OidcClient.DemoClientId, "success"), (succeeded.Source, succeeded.Level, succeeded.Client, succeeded.Outcome));
        Assert.Equal(person, succeeded.Actor);
        Assert.False(string.IsNullOrEmpty(succeeded.TraceId));
        var issued = events.Where(e => e.Type == AuditTypes.TokenIssued && e.Time >= succeeded.Time).Select(e => e.Detail).ToList();
        Assert.Contains("authorization: code", issued);
        Assert.Contains("authorization_code: access_token id_token refresh_token", issued);
        Assert.Contains("refresh_token: access_token id_token refresh_token", issued);

        // Neither the password, the code nor any token is in any field of any event.
        var secrets = new[] { "Wrong-Passw0rd!", "Demo-Passw0rd!", code, tokens.AccessToken, tokens.RefreshToken, tokens.IdToken, refreshed.AccessToken };
        foreach (var e in await EventsAsync(hub))
        {
            var text = JsonSerializer.Serialize(new { e.Actor, e.Subject, e.Client, e.Source, e.Level, e.Ip, e.Detail, e.TraceId });
            Assert.DoesNotContain(secrets, s => text.Contains(s, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task FiveWrongPasswords_RecordTheLockOut()
    {
        var username = await RegistryPeople.InsertAsync(hub, "locked");
        using var browser = hub.CreateBrowser();
        var page = await browser.NavigateAsync(OidcClient.Demo().AuthorizeUrl());
        for (var i = 0; i < 5; i++)
        {
            page = await browser.SubmitAsync(page, new() { ["Input.Username"] = username, ["Input.Password"] = "Not-the-passw0rd" });
        }
        var person = $"person:{await PersonIdAsync(username)}";
        var events = (await EventsAsync(hub)).Where(e => e.Subject == person).ToList();
        Assert.Equal(5, events.Count(e => e.Type == AuditTypes.LoginFailed));
        var locked = Assert.Single(events, e => e.Type == AuditTypes.AccountLocked);
        Assert.StartsWith("until ", locked.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminChanges_AreRecorded_ARefusedOneIsNot()
    {
        using var admin = await hub.CreateAdminClientAsync();
        var clientId = "audited-" + Guid.NewGuid().ToString("N")[..8];
        var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId,
            displayName = "Audited service",
            clientType = "confidential",
            redirectUris = new[] { "https://audited.example/cb" },
            allowedScopes = new[] { "openid" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var refused = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new { clientId = "x y", displayName = "" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/admin/v1/relying-parties/{clientId}")).StatusCode);

        var changes = (await EventsAsync(hub)).Where(e => e.Type == AuditTypes.AdminChange).ToList();
        var added = Assert.Single(changes, e => e.Subject == $"relying-parties/{clientId}" && e.Detail == "POST /api/admin/v1/relying-parties");
        Assert.Equal("client:hub-admin", added.Actor);
        Assert.Single(changes, e => e.Detail == $"DELETE /api/admin/v1/relying-parties/{clientId}");
        Assert.DoesNotContain(changes, e => e.Subject == "relying-parties/x y");
    }

    [Fact]
    public async Task AKeyRotation_IsRecorded_WithTheNewKids()
    {
        using var admin = await hub.CreateAdminClientAsync();
        var rotated = await admin.PostAsJsonAsync("/api/admin/v1/keys/rotate", new { activateAfterSeconds = 3600 });
        Assert.Equal(HttpStatusCode.Accepted, rotated.StatusCode);
        var next = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()
            .Where(k => k.GetProperty("status").GetString() == "next").Select(k => k.GetProperty("kid").GetString()!).ToList();
        Assert.Equal(3, next.Count);
        var recorded = (await EventsAsync(hub)).Last(e => e.Type == AuditTypes.KeyRotated);
        Assert.Equal("client:hub-admin", recorded.Actor);
        Assert.All(next, kid => Assert.Contains(kid, recorded.Subject!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AuditApi_FiltersByTypeActorAndTime_AndPagesNewestFirst()
    {
        await LoginAsync(hub);
        using var admin = await hub.CreateAdminClientAsync();
        var all = await admin.GetFromJsonAsync<JsonElement>("/api/admin/v1/audit?type=token.issued&pageSize=2");
        Assert.Equal((1, 2), (all.GetProperty("page").GetInt32(), all.GetProperty("pageSize").GetInt32()));
        Assert.True(all.GetProperty("total").GetInt64() >= 3);
        var items = all.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal("token.issued", i.GetProperty("type").GetString()));
        Assert.True(items[0].GetProperty("time").GetDateTimeOffset() >= items[1].GetProperty("time").GetDateTimeOffset());
        var second = await admin.GetFromJsonAsync<JsonElement>("/api/admin/v1/audit?type=token.issued&pageSize=2&page=2");
        Assert.DoesNotContain(second.GetProperty("items").EnumerateArray(), i => items.Any(f => f.GetProperty("id").GetString() == i.GetProperty("id").GetString()));

        var byActor = await admin.GetFromJsonAsync<JsonElement>("/api/admin/v1/audit?actor=client:hub-admin");
        Assert.All(byActor.GetProperty("items").EnumerateArray(), i => Assert.Equal("client:hub-admin", i.GetProperty("actor").GetString()));
        var future = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(1).ToString("O"));
        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonElement>($"/api/admin/v1/audit?from={future}")).GetProperty("total").GetInt64());

        foreach (var bad in new[] { "type=nope", "from=yesterday", "pageSize=0", "pageSize=201", "page=-1" })
        {
            var response = await admin.GetAsync($"/api/admin/v1/audit?{bad}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        using var anonymous = hub.CreateApiClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/admin/v1/audit")).StatusCode);
    }

    [Fact]
    public async Task TheHubsRole_CannotUpdateDeleteOrTruncateEvents_NorResealThem()
    {
        await LoginAsync(hub);
        await SealAllAsync(hub);
        var sealedId = (await EventsAsync(hub)).First(e => e.Sequence != null).Id;
        foreach (var sql in new[]
        {
            $"UPDATE \"AuditEvents\" SET \"Actor\" = 'someone else' WHERE \"Id\" = '{sealedId}'",
            $"UPDATE \"AuditEvents\" SET \"Sequence\" = \"Sequence\" + 1000000 WHERE \"Id\" = '{sealedId}'",
            $"DELETE FROM \"AuditEvents\" WHERE \"Id\" = '{sealedId}'",
            "TRUNCATE \"AuditEvents\"",
            "DELETE FROM \"AuditChainHead\"",
            "UPDATE \"AuditChainHead\" SET \"Sequence\" = 0",
            "TRUNCATE \"AuditArchive\"",
        })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(hub, sql));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
        Assert.True((await VerifyAsync(hub)).Intact);
    }

    [Fact]
    public async Task TheCommand_PrintsTheChainIntact_ThenTheEventAltered()
    {
        await LoginAsync(hub);
        await SealAllAsync(hub);
        var intact = await RunVerifyAsync(hub.ConnectionString);
        Assert.Equal(0, intact.ExitCode);
        Assert.Matches(@"^audit chain intact: \d+ events$", intact.Output.Trim());
    }

    private async Task<Guid> PersonIdAsync(string username)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HubDbContext>().RegistryAccounts.Where(a => a.Username == username).Select(a => a.PersonId).SingleAsync();
    }

    /// <summary>The published command, as an operator runs it: <c>IdentityHub audit verify</c>, no web host.</summary>
    internal static async Task<(int ExitCode, string Output, string Error)> RunVerifyAsync(string connectionString)
    {
        var dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "IdentityHub", "bin",
            new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "IdentityHub.dll"));
        Assert.True(File.Exists(dll), $"{dll} is not built.");
        var start = new ProcessStartInfo("dotnet", [dll, "audit", "verify"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__Hub"] = connectionString;
        start.Environment["Hub__Database__Provider"] = "Postgres";
        start.Environment["Hub__Subjects__PairwiseKey"] = HubFactory.SharedPairwiseKey;
        start.Environment["Hub__Issuer"] = HubFactory.Issuer;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}

/// <summary>Tampering done with SQL, each on a database of its own (the chain stays broken after).</summary>
public sealed class AuditTamperingTests
{
    [Fact]
    public async Task OneByteChangedInAnEvent_IsNamedAsAltered_ByTheCommand()
    {
        await using var hub = await StartAsync();
        var target = (await EventsAsync(hub))[1];
        await TamperAsync(hub, $"UPDATE \"AuditEvents\" SET \"Detail\" = \"Detail\" || 'x' WHERE \"Id\" = '{target.Id}'");

        var result = await VerifyAsync(hub);
        Assert.False(result.Intact);
        Assert.Equal((target.Id, "altered"), (result.EventId, result.Problem));
        var command = await AuditTrailTests.RunVerifyAsync(hub.ConnectionString);
        Assert.Equal(1, command.ExitCode);
        Assert.Contains(target.Id.ToString(), command.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneByteChangedInASeal_IsNamedAsAltered()
    {
        await using var hub = await StartAsync();
        var target = (await EventsAsync(hub))[2];
        await TamperAsync(hub, $"UPDATE \"AuditEvents\" SET \"Hash\" = set_byte(\"Hash\", 0, (get_byte(\"Hash\", 0) + 1) % 256) WHERE \"Id\" = '{target.Id}'");
        var result = await VerifyAsync(hub);
        Assert.Equal((false, target.Id, "altered"), (result.Intact, result.EventId, result.Problem));
    }

    [Fact]
    public async Task ADeletedEvent_IsNamedAsRemoved()
    {
        await using var hub = await StartAsync();
        var events = await EventsAsync(hub);
        var target = events.OrderBy(e => e.Sequence).ElementAt(2);
        await TamperAsync(hub, $"DELETE FROM \"AuditEvents\" WHERE \"Id\" = '{target.Id}'");
        var result = await VerifyAsync(hub);
        Assert.Equal((false, target.Id, "removed"), (result.Intact, result.EventId, result.Problem));
    }

    [Fact]
    public async Task TheLastEventDeleted_IsNamedAsRemoved()
    {
        await using var hub = await StartAsync();
        var target = (await EventsAsync(hub)).MaxBy(e => e.Sequence)!;
        await TamperAsync(hub, $"DELETE FROM \"AuditEvents\" WHERE \"Id\" = '{target.Id}'");
        var result = await VerifyAsync(hub);
        Assert.Equal((false, target.Id, "removed"), (result.Intact, result.EventId, result.Problem));
    }

    [Fact]
    public async Task AnInsertedEvent_IsNamedAsInserted()
    {
        await using var hub = await StartAsync();
        var events = (await EventsAsync(hub)).OrderBy(e => e.Sequence).ToList();
        var copy = events[1];
        var forged = Guid.CreateVersion7();
        // A plausible copy of a real event, placed between two others by shifting the sequence of those after it.
        await TamperAsync(hub, $"""
            UPDATE "AuditEvents" SET "Sequence" = "Sequence" + 1000000 WHERE "Sequence" > {copy.Sequence};
            UPDATE "AuditEvents" SET "Sequence" = "Sequence" - 1000000 + 1 WHERE "Sequence" > 1000000;
            INSERT INTO "AuditEvents" ("Id", "Time", "Type", "Actor", "Subject", "Client", "Source", "Level", "Ip", "Outcome", "Detail", "TraceId", "Mac",
                "Sequence", "PreviousId", "PreviousHash", "Hash")
            SELECT '{forged}', "Time", "Type", "Actor", "Subject", "Client", "Source", "Level", "Ip", "Outcome", "Detail", "TraceId", "Mac",
                "Sequence" + 1, "Id", "Hash", "Hash" FROM "AuditEvents" WHERE "Id" = '{copy.Id}'
            """);
        var result = await VerifyAsync(hub);
        Assert.Equal((false, forged, "inserted"), (result.Intact, (Guid?)result.EventId, result.Problem));
    }

    [Fact]
    public async Task AnUnsealedEventWrittenBySql_IsNamedAsInserted()
    {
        await using var hub = await StartAsync();
        var forged = Guid.CreateVersion7();
        await ExecuteAsync(hub, $"""
            INSERT INTO "AuditEvents" ("Id", "Time", "Type", "Outcome", "Mac") VALUES ('{forged}', now(), 'login.succeeded', 'success', '\x00')
            """);
        var result = await VerifyAsync(hub);
        Assert.False(result.Intact);
        Assert.Equal(forged, result.EventId);
    }

    [Fact]
    public async Task TwoInstances_WritingAndSealingAtOnce_KeepOneChain()
    {
        await using var first = await StartAsync();
        await using var second = new HubFactory(HubDatabase.Postgres, first.ConnectionString);
        _ = second.Server;
        var before = (await VerifyAsync(first)).Events;

        async Task WriteAsync(HubFactory instance, int count)
        {
            for (var i = 0; i < count; i++)
            {
                await using var scope = instance.Services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<AuditLog>().WriteAsync(
                    new AuditEntry(AuditTypes.AdminChange) { Actor = "test", Detail = $"write {i}" }, CancellationToken.None);
            }
        }
        async Task SealAsync(HubFactory instance, Task writers)
        {
            var sealer = instance.Services.GetRequiredService<AuditSealer>();
            while (!writers.IsCompleted)
            {
                await sealer.SealAsync(CancellationToken.None);
            }
        }
        var writers = Task.WhenAll(WriteAsync(first, 100), WriteAsync(second, 100), WriteAsync(first, 100), WriteAsync(second, 100));
        await Task.WhenAll(writers, SealAsync(first, writers), SealAsync(second, writers));
        await SealAllAsync(second);

        var result = await VerifyAsync(first);
        Assert.True(result.Intact, $"{result.Problem} {result.EventId}");
        Assert.Equal(before + 400, result.Events);
        var sequences = (await EventsAsync(first)).Select(e => e.Sequence!.Value).Order().ToList();
        Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
    }

    [Fact]
    public async Task Retention_MovesOldEventsToTheArchive_StillChainedAndListed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(-400));
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Postgres, new() { ["Hub:History:RetentionDays"] = "365" }, time);
        await LoginAsync(hub);
        await SealAllAsync(hub);
        var old = (await EventsAsync(hub)).Count;
        time.SetUtcNow(DateTimeOffset.UtcNow);
        await LoginAsync(hub);
        await SealAllAsync(hub);

        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var retention = scope.ServiceProvider.GetServices<IdentityHub.Hosting.IExpiredRecords>().OfType<AuditRetention>().Single();
            // The cleanup's own timer may have run on the jump of the clock: then nothing is left to move.
            await retention.MoveAsync(time.GetUtcNow().AddDays(-365), CancellationToken.None);
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            Assert.Equal(old, await db.ArchivedAuditEvents.CountAsync());
            Assert.False(await db.AuditEvents.AnyAsync(e => e.Time < time.GetUtcNow().AddDays(-365)));
        }
        var result = await VerifyAsync(hub);
        Assert.True(result.Intact, $"{result.Problem} {result.EventId}");
        Assert.Equal((await EventsAsync(hub)).Count + old, result.Events);

        using var admin = await hub.CreateAdminClientAsync();
        var to = Uri.EscapeDataString(time.GetUtcNow().AddDays(-365).ToString("O"));
        var archived = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/v1/audit?to={to}&pageSize=200");
        Assert.Equal(old, archived.GetProperty("total").GetInt64());

        // Archived events are as append-only as the others.
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(hub, "DELETE FROM \"AuditArchive\""));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    /// <summary>A hub of its own, with a login's events sealed.</summary>
    private static async Task<HubFactory> StartAsync()
    {
        var hub = await HubFactory.CreateAsync(HubDatabase.Postgres);
        await LoginAsync(hub);
        await SealAllAsync(hub);
        var result = await VerifyAsync(hub);
        Assert.True(result.Intact && result.Events >= 4, $"{result.Problem} {result.EventId} {result.Events}");
        return hub;
    }
}

/// <summary>The embedded store keeps the same rules.</summary>
public sealed class SqliteAuditTrailTests(SqliteHub hub) : IClassFixture<SqliteHub>
{
    [Fact]
    public async Task Events_AreChainedAndAppendOnly()
    {
        await LoginAsync(hub);
        await SealAllAsync(hub);
        var result = await VerifyAsync(hub);
        Assert.True(result.Intact, $"{result.Problem} {result.EventId}");
        Assert.True(result.Events >= 4);

        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => db.Database.ExecuteSqlRawAsync("UPDATE \"AuditEvents\" SET \"Actor\" = 'x'"));
        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => db.Database.ExecuteSqlRawAsync("DELETE FROM \"AuditEvents\""));
    }
}
