using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdentityHub.Data;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IdentityHub.Tests.Data;

/// <summary>
/// Several instances on one database behave as one hub: a login started on one finishes on the other, a code
/// issued by one is redeemed at the other, and both publish and use the same persistent keys.
/// </summary>
public sealed class SharedDatabaseTests
{
    [Fact]
    public async Task TwoInstances_OnOnePostgresDatabase_ShareJourneysSessionsCodesAndKeys()
    {
        await using var first = await HubFactory.CreateAsync(HubDatabase.Postgres);
        await using var second = new HubFactory(HubDatabase.Postgres, first.ConnectionString);
        using var http1 = first.CreateApiClient();
        using var http2 = second.CreateApiClient();
        Assert.Equal(await http1.GetStringAsync("/.well-known/jwks"), await http2.GetStringAsync("/.well-known/jwks"));

        // The browser's cookies travel between instances as they would behind a load balancer.
        var jar = new CookieContainer();
        using var browser = first.CreateBrowser(jar);
        var client = OidcClient.Demo();
        var signIn = await browser.NavigateAsync(client.AuthorizeUrl());
        using var switched = second.CreateBrowser(jar);
        var back = await switched.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = "Demo-Passw0rd!" });
        var code = client.CallbackParameters(back)["code"];

        var tokens = await client.RedeemAsync(http1, code);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        var refreshed = await client.RefreshAsync(http2, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.Equal(new JsonWebToken(tokens.IdToken).Subject, new JsonWebToken(refreshed.IdToken).Subject);
    }

    [Fact]
    public async Task ServiceRegisteredOnOneInstance_LogsInThroughTheOtherAtOnce()
    {
        await using var first = await HubFactory.CreateAsync(HubDatabase.Postgres);
        await using var second = new HubFactory(HubDatabase.Postgres, first.ConnectionString);
        using var admin = await first.CreateAdminClientAsync();
        var clientId = "multi-" + Guid.NewGuid().ToString("N")[..8];
        var redirect = $"https://portal.gov.vn/{clientId}/cb";
        using var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId,
            displayName = "Registered on the first instance",
            clientType = "confidential",
            redirectUris = new[] { redirect },
            allowedScopes = new[] { "openid", "profile" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientSecret").GetString();

        var client = new OidcClient(clientId, secret, redirect);
        using var browser = second.CreateBrowser();
        using var http = second.CreateApiClient();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser, url: client.AuthorizeUrl("openid profile")))["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);

        // Removed on the second instance: the first refuses it at once.
        using (var deleted = await (await second.CreateAdminClientAsync()).DeleteAsync($"/api/admin/v1/relying-parties/{clientId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using var again = first.CreateBrowser();
        var page = await again.GetAsync(client.AuthorizeUrl("openid profile"));
        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Null(page.Location);
    }

    [Fact]
    public async Task ClientKeptInMemoryByOneInstance_ChangedOnTheOther_IsReadAgainAtOnce()
    {
        await using var first = await HubFactory.CreateAsync(HubDatabase.Postgres);
        await using var second = new HubFactory(HubDatabase.Postgres, first.ConnectionString);
        using var admin = await first.CreateAdminClientAsync();
        using var secondAdmin = await second.CreateAdminClientAsync();
        var clientId = "cached-" + Guid.NewGuid().ToString("N")[..8];
        using var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId,
            displayName = "Kept in memory by the second instance",
            clientType = "confidential",
            grantTypes = new[] { "client_credentials" },
            redirectUris = Array.Empty<string>(),
            allowedScopes = Array.Empty<string>(),
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var oldSecret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientSecret").GetString()!;

        // The second instance reads the client once and keeps it.
        using var http = second.CreateApiClient();
        await WaitUntilListeningAsync(second);
        Assert.Equal(HttpStatusCode.OK, (await new OidcClient(clientId, oldSecret, "http://unused/").TokenAsync(http, Grant)).Status);
        Assert.True(second.Services.GetRequiredService<IdentityHub.Protocol.ClientCache>().TryGetByClientId(clientId, out _));

        // A new secret through the first instance: the second refuses the old one and takes the new one.
        using var rotated = await admin.PostAsync($"/api/admin/v1/relying-parties/{clientId}/secret", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newSecret = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientSecret").GetString()!;
        Assert.Equal("invalid_client", (await EventuallyAsync(() => new OidcClient(clientId, oldSecret, "http://unused/").TokenAsync(http, Grant), r => r.Error == "invalid_client")).Error);
        Assert.Equal(HttpStatusCode.OK, (await new OidcClient(clientId, newSecret, "http://unused/").TokenAsync(http, Grant)).Status);

        // Deleted through the first instance: the second stops issuing tokens to it.
        using (var deleted = await admin.DeleteAsync($"/api/admin/v1/relying-parties/{clientId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        Assert.Equal("invalid_client", (await EventuallyAsync(() => new OidcClient(clientId, newSecret, "http://unused/").TokenAsync(http, Grant), r => r.Error == "invalid_client")).Error);
    }

    [Fact]
    public async Task ClientRemovedBeforeTheCacheHearsOfIt_GetsInvalidClient_NotAServerError()
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Postgres);
        using var admin = await hub.CreateAdminClientAsync();
        var clientId = "removed-" + Guid.NewGuid().ToString("N")[..8];
        using var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId,
            displayName = "Removed behind the cache's back",
            clientType = "confidential",
            grantTypes = new[] { "client_credentials" },
            redirectUris = Array.Empty<string>(),
            allowedScopes = Array.Empty<string>(),
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientSecret").GetString()!;
        using var http = hub.CreateApiClient();
        await WaitUntilListeningAsync(hub);
        var client = new OidcClient(clientId, secret, "http://unused/");
        Assert.Equal(HttpStatusCode.OK, (await client.TokenAsync(http, Grant)).Status);
        Assert.True(hub.Services.GetRequiredService<IdentityHub.Protocol.ClientCache>().TryGetByClientId(clientId, out _));

        // Removed as another instance would, but without the notification this instance would hear: the moment
        // between the other instance's commit and the notification's arrival, held open.
        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                DELETE FROM "OpenIddictTokens" WHERE "ApplicationId" IN (SELECT "Id" FROM "OpenIddictApplications" WHERE "ClientId" = {clientId});
                DELETE FROM "OpenIddictApplications" WHERE "ClientId" = {clientId};
                """);
        }

        var refused = await client.TokenAsync(http, Grant);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal("invalid_client", refused.Error);
        Assert.False(hub.Services.GetRequiredService<IdentityHub.Protocol.ClientCache>().TryGetByClientId(clientId, out _));
        Assert.Equal("invalid_client", (await client.TokenAsync(http, Grant)).Error);
    }

    [Fact]
    public async Task SettingsKeptByOneInstance_ChangedOnTheOther_AreReadAgainAtOnce()
    {
        await using var first = await HubFactory.CreateAsync(HubDatabase.Postgres);
        await using var second = new HubFactory(HubDatabase.Postgres, first.ConnectionString);
        using var admin = await first.CreateAdminClientAsync();
        using var http = second.CreateApiClient();
        await WaitUntilListeningAsync(second);
        var kept = second.Services.GetRequiredService<SettingsChanges.KeptByKey<IdentityHub.Protocol.AuthorizeEndpoint.ServiceSettings>>();

        // A service's own settings: read by the second instance's authorize endpoint once, then kept.
        var clientId = "kept-" + Guid.NewGuid().ToString("N")[..8];
        var redirect = $"https://portal.gov.vn/{clientId}/cb";
        object Service(string? minimumAcr) => new
        {
            clientId,
            displayName = "Kept by the second instance",
            clientType = "confidential",
            redirectUris = new[] { redirect },
            allowedScopes = new[] { "openid", "profile" },
            minimumAcr,
        };
        using (var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", Service(null)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var client = new OidcClient(clientId, "unused", redirect);
        using var browser = second.CreateBrowser();
        Assert.Equal(HttpStatusCode.Found, (await browser.GetAsync(client.AuthorizeUrl("openid profile"))).Status);
        Assert.True(kept.TryGet(clientId, out var settings));
        Assert.Null(settings.MinimumAcr);

        // Changed through the first instance: the second drops its copy and reads the new one at the next request.
        using (var replaced = await admin.PutAsJsonAsync($"/api/admin/v1/relying-parties/{clientId}", Service("eidas2")))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }
        Assert.False(await EventuallyAsync(() => Task.FromResult(kept.TryGet(clientId, out _)), held => !held));
        Assert.Equal(HttpStatusCode.Found, (await browser.GetAsync(client.AuthorizeUrl("openid profile"))).Status);
        Assert.True(kept.TryGet(clientId, out settings));
        Assert.Equal("eidas2", settings.MinimumAcr);

        // The identity sources: kept by the second instance, and a source registered or removed on the first is
        // offered, or not, by the second at once.
        async Task<List<string>> OfferedAsync()
        {
            await using var scope = second.Services.CreateAsyncScope();
            return [.. (await scope.ServiceProvider.GetRequiredService<IdentityHub.IdentitySources.SourceCatalog>().OfferedAsync(null, default)).Select(s => s.Id)];
        }
        var before = await OfferedAsync();
        var sourceId = "bank-" + Guid.NewGuid().ToString("N")[..6];
        using (var source = await admin.PostAsJsonAsync("/api/admin/v1/identity-sources", new
        {
            id = sourceId,
            displayName = "Registered on the first instance",
            kind = "oidc",
            authority = "https://bank.example.vn",
            clientId = "identityhub",
            clientSecret = "a-secret-of-the-bank-0123456789",
            scopes = new[] { "openid", "profile" },
            acr = "eidas2",
            subjects = "individuals",
            enabled = true,
        }))
        {
            Assert.True(source.StatusCode == HttpStatusCode.Created, await source.Content.ReadAsStringAsync());
        }
        Assert.Contains(sourceId, await EventuallyAsync(OfferedAsync, ids => ids.Contains(sourceId)));
        using (var removed = await admin.DeleteAsync($"/api/admin/v1/identity-sources/{sourceId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        Assert.Equal(before, await EventuallyAsync(OfferedAsync, ids => !ids.Contains(sourceId)));
    }

    private static readonly Dictionary<string, string> Grant = new() { ["grant_type"] = "client_credentials" };

    private static async Task WaitUntilListeningAsync(HubFactory hub)
    {
        var cache = hub.Services.GetRequiredService<IdentityHub.Protocol.ClientCache>();
        var settings = hub.Services.GetRequiredService<SettingsChanges>();
        for (var i = 0; i < 100 && !(cache.Listening && settings.Listening); i++)
        {
            await Task.Delay(50);
        }
        Assert.True(cache.Listening, "The instance never started listening for client changes.");
    }

    /// <summary>
    /// The other instance hears of a change when PostgreSQL delivers the notification, right after the commit: the
    /// outcome is awaited for at most a second, then the last one is returned for the assertion.
    /// </summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> attempt, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(1);
        while (true)
        {
            var result = await attempt();
            if (done(result) || DateTime.UtcNow > deadline)
            {
                return result;
            }
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Restart_KeepsSigningKeysAndPairwiseSubjects()
    {
        await using var before = await HubFactory.CreateAsync(HubDatabase.Sqlite);
        using var browser = before.CreateBrowser();
        using var http = before.CreateApiClient();
        var client = OidcClient.Demo();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser))["code"]);
        var jwks = await http.GetStringAsync("/.well-known/jwks");

        await using var after = new HubFactory(HubDatabase.Sqlite, before.ConnectionString);
        using var httpAfter = after.CreateApiClient();
        Assert.Equal(jwks, await httpAfter.GetStringAsync("/.well-known/jwks"));
        var refreshed = await client.RefreshAsync(httpAfter, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.Equal(new JsonWebToken(tokens.IdToken).Subject, new JsonWebToken(refreshed.IdToken).Subject);

        // Keys are stored protected, never as plain key material.
        await using var scope = after.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<HubDbContext>().SigningKeys.ToListAsync();
        Assert.Equal(3, stored.Count);
        Assert.All(stored, k => Assert.DoesNotContain("PRIVATE", k.ProtectedKey, StringComparison.Ordinal));
    }
}
