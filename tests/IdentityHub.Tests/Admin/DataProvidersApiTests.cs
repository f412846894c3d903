using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdentityHub.Audit;
using IdentityHub.Data;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.EntityFrameworkCore.Models;

namespace IdentityHub.Tests.Admin;

/// <summary>The data-provider endpoints of the admin API (CONTRACT section 3), on each database provider.</summary>
public abstract class DataProvidersApiTests(HubFactory hub)
{
    private const string Path = "/api/admin/v1/data-providers";

    [Fact]
    public async Task Create_Is201WithTheSecretOnce_ThenReadListReplaceAndDelete()
    {
        using var http = await hub.CreateAdminClientAsync();
        var (id, scope) = NewNames();
        using var created = await http.PostAsJsonAsync(Path, Body(id, scope, "identity_number"));
        var raw = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, raw);
        Assert.Equal($"{Path}/{id}", created.Headers.Location?.OriginalString);
        var body = JsonDocument.Parse(raw).RootElement;
        var secret = body.GetProperty("clientSecret").GetString()!;
        Assert.True(secret.Length >= 43 && secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'), secret);
        Assert.Equal($"https://{id}.example/api", body.GetProperty("resource").GetString());
        Assert.Equal("identity_number", body.GetProperty("subjectIdentifier").GetString());
        Assert.NotEqual(JsonValueKind.Null, body.GetProperty("identityNumberEntitledAt").ValueKind);
        var described = Assert.Single(body.GetProperty("scopes").EnumerateArray());
        Assert.Equal(scope, described.GetProperty("name").GetString());
        Assert.Equal("Revenus déclarés", described.GetProperty("description").GetProperty("fr").GetString());

        var read = await http.GetFromJsonAsync<JsonElement>($"{Path}/{id}");
        Assert.False(read.TryGetProperty("clientSecret", out _));
        Assert.Contains((await http.GetFromJsonAsync<JsonElement>(Path)).EnumerateArray(), p => p.GetProperty("id").GetString() == id);

        // A service may now be allowed the data scope, like any scope of the hub.
        using var service = await http.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId = "reader-" + id,
            displayName = "Reader",
            clientType = "confidential",
            tokenEndpointAuthMethod = "client_secret_basic",
            redirectUris = new[] { "https://reader.example/cb" },
            postLogoutRedirectUris = Array.Empty<string>(),
            allowedScopes = new[] { "openid", scope },
            consent = "explicit",
        });
        Assert.True(service.StatusCode == HttpStatusCode.Created, await service.Content.ReadAsStringAsync());

        // Replace: another scope, pairwise; the entitlement goes with it.
        using var replaced = await http.PutAsJsonAsync($"{Path}/{id}", Body(id, scope + "_v2", "pairwise"));
        var after = JsonDocument.Parse(await replaced.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal(scope + "_v2", Assert.Single(after.GetProperty("scopes").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("identityNumberEntitledAt").ValueKind);
        Assert.False(after.TryGetProperty("clientSecret", out _));

        using var deleted = await http.DeleteAsync($"{Path}/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await http.GetAsync($"{Path}/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        await using var services = hub.Services.CreateAsyncScope();
        var db = services.ServiceProvider.GetRequiredService<HubDbContext>();
        Assert.False(await db.Set<OpenIddictEntityFrameworkCoreApplication>().AnyAsync(a => a.ClientId == id));
        Assert.False(await db.Set<OpenIddictEntityFrameworkCoreScope>().AnyAsync(s => s.Name == scope || s.Name == scope + "_v2"));
        // Every write is on record: who did it, to which provider.
        Assert.Equal(3, await db.AuditEvents.CountAsync(e => e.Type == AuditTypes.AdminChange && e.Subject!.StartsWith("data-providers/" + id)));
    }

    [Fact]
    public async Task BadInput_Is400NamingEachField_AndLeavesNothingBehind()
    {
        using var http = await hub.CreateAdminClientAsync();
        var (id, _) = NewNames();
        using var response = await http.PostAsJsonAsync(Path, new
        {
            id,
            displayName = "",
            resource = "not a uri",
            scopes = new object[] { new { name = "profile", description = new { vi = "x", en = "x", fr = "x" } }, new { name = "Bad Name" }, new { name = "ok_scope_" + id[..4], description = new { vi = "x", en = "x" } } },
            subjectIdentifier = "email",
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Equal(["displayName", "resource", "scopes", "subjectIdentifier"], errors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
        var scopes = string.Join('\n', errors.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("'profile' is a scope of the hub itself", scopes, StringComparison.Ordinal);
        Assert.Contains("'Bad Name'", scopes, StringComparison.Ordinal);
        Assert.Contains("fr is missing", scopes, StringComparison.Ordinal);
        using var missing = await http.GetAsync($"{Path}/{id}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task ATakenIdResourceOrScope_IsRefused()
    {
        using var http = await hub.CreateAdminClientAsync();
        var (id, scope) = NewNames();
        using var first = await http.PostAsJsonAsync(Path, Body(id, scope, "pairwise"));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        using var sameId = await http.PostAsJsonAsync(Path, Body(id, scope + "_b", "pairwise", resource: $"https://other-{id}.example"));
        Assert.Equal(HttpStatusCode.Conflict, sameId.StatusCode);
        using var clientId = await http.PostAsJsonAsync(Path, Body("sample-service", scope + "_c", "pairwise", resource: $"https://third-{id}.example"));
        Assert.Equal(HttpStatusCode.Conflict, clientId.StatusCode);
        var (other, _) = NewNames();
        using var sameResourceAndScope = await http.PostAsJsonAsync(Path, Body(other, scope, "pairwise", resource: $"https://{id}.example/api"));
        Assert.Equal(HttpStatusCode.BadRequest, sameResourceAndScope.StatusCode);
        var errors = JsonDocument.Parse(await sameResourceAndScope.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("resource", out _));
        Assert.True(errors.TryGetProperty("scopes", out _));
        // A relying party cannot take a provider's id either, nor be allowed a scope nobody registered.
        using var unknown = await http.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId = "reader-" + other,
            displayName = "Reader",
            clientType = "confidential",
            tokenEndpointAuthMethod = "client_secret_basic",
            redirectUris = new[] { "https://reader.example/cb" },
            allowedScopes = new[] { "openid", "no_such_" + other[..6] },
            consent = "explicit",
        });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task WithoutAnAdminToken_Is401_AndOpenApiDescribesTheEndpoints()
    {
        using var anonymous = hub.CreateApiClient();
        using var refused = await anonymous.GetAsync(Path);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var document = await anonymous.GetStringAsync("/openapi/v1.json");
        Assert.Contains("\"/api/admin/v1/data-providers/{id}\"", document, StringComparison.Ordinal);
        Assert.Contains("subjectIdentifier", document, StringComparison.Ordinal);
    }

    private static (string Id, string Scope) NewNames()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        return ("agency-" + suffix, "data_" + suffix);
    }

    private static object Body(string id, string scope, string subjectIdentifier, string? resource = null) => new
    {
        id,
        displayName = "Tổng cục Thuế",
        resource = resource ?? $"https://{id}.example/api",
        scopes = new[] { new { name = scope, description = new { vi = "Thu nhập đã khai", en = "Declared income", fr = "Revenus déclarés" } } },
        subjectIdentifier,
    };
}

public sealed class SqliteDataProvidersApiTests(SqliteHub hub) : DataProvidersApiTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresDataProvidersApiTests(PostgresHub hub) : DataProvidersApiTests(hub), IClassFixture<PostgresHub>;
