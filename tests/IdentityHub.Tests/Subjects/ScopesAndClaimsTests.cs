using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdentityHub.Subjects;
using IdentityHub.Tests.Infrastructure;

namespace IdentityHub.Tests.Subjects;

/// <summary>One table of scopes and claims: what discovery says, what the admin API accepts and what a source may map.</summary>
public sealed class ScopesAndClaimsTests(SqliteHub hub) : IClassFixture<SqliteHub>
{
    [Fact]
    public async Task Discovery_PublishesTheServedScopesAndTheirClaims_AndNothingElseOfTheTable()
    {
        using var http = hub.CreateApiClient();
        var document = JsonDocument.Parse(await http.GetStringAsync("/.well-known/openid-configuration")).RootElement;
        var scopes = document.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()!).ToHashSet();
        var claims = document.GetProperty("claims_supported").EnumerateArray().Select(e => e.GetString()!).ToHashSet();

        // The admin API's own scope besides the table's.
        Assert.Equal(ScopesAndClaims.ServedScopes.Append("hub.admin").Order(StringComparer.Ordinal), scopes.Order(StringComparer.Ordinal), StringComparer.Ordinal);
        Assert.Superset(ScopesAndClaims.ServedClaims.ToHashSet(), claims);
        foreach (var scope in ScopesAndClaims.All.Where(s => !s.Served))
        {
            Assert.DoesNotContain(scope.Name, scopes);
            Assert.All(scope.Claims, claim => Assert.DoesNotContain(claim.Name, claims));
        }
    }

    [Fact]
    public async Task AdminApi_AcceptsEveryServedScope_AndRefusesUnservedAndUnknownOnes()
    {
        using var admin = await hub.CreateAdminClientAsync();
        var clientId = "all-scopes-" + Guid.NewGuid().ToString("N")[..8];
        object Body(string id, string[] scopes) => new
        {
            clientId = id,
            displayName = "Every scope",
            clientType = "confidential",
            redirectUris = new[] { "https://every.gov.vn/cb" },
            allowedScopes = scopes,
        };
        using var accepted = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", Body(clientId, [.. ScopesAndClaims.ServedScopes]));
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        var stored = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("allowedScopes").EnumerateArray().Select(e => e.GetString()!);
        Assert.Equal(ScopesAndClaims.ServedScopes.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));

        // Refused when the service is registered, not at its first login (docs/integration.md, "Relying parties").
        foreach (var scope in new[] { "shoe_size", "Enterprise", "enterprise " })
        {
            using var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", Body(clientId + "-x", ["openid", scope]));
            await AssertNamesOnlyAllowedScopesAsync(created);
            using var replaced = await admin.PutAsJsonAsync($"/api/admin/v1/relying-parties/{clientId}", Body(clientId, ["openid", scope]));
            await AssertNamesOnlyAllowedScopesAsync(replaced);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/admin/v1/relying-parties/{clientId}-x")).StatusCode);
        var unchanged = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/v1/relying-parties/{clientId}");
        Assert.Equal(ScopesAndClaims.ServedScopes.Order(StringComparer.Ordinal), unchanged.GetProperty("allowedScopes").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal));
    }

    private static async Task AssertNamesOnlyAllowedScopesAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["allowedScopes"], errors.EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public void EveryScopeOfTheContract_IsServed()
    {
        Assert.Empty(ScopesAndClaims.All.Where(s => !s.Served).Select(s => s.Name));
        foreach (var scope in new[] { "openid", "profile", "birth", "email", "phone", "address", "identity_number", "enterprise", "offline_access" })
        {
            Assert.True(ScopesAndClaims.IsServed(scope), scope);
        }
    }

    [Fact]
    public void MappableClaims_AreThePersonAndEnterpriseClaims_NeverWhatTheHubMakes()
    {
        Assert.Contains("identity_number", ScopesAndClaims.MappableClaims);
        Assert.Contains("given_name", ScopesAndClaims.MappableClaims);
        Assert.Contains("enterprise_id", ScopesAndClaims.MappableClaims);
        Assert.DoesNotContain("sub", ScopesAndClaims.MappableClaims);
        Assert.DoesNotContain("acr", ScopesAndClaims.MappableClaims);
        Assert.DoesNotContain("enterprise_source", ScopesAndClaims.MappableClaims);
    }

    [Fact]
    public void ForPerson_ReleasesOnlyTheGrantedServedScopes_AndOmitsMissingValues()
    {
        var person = new Person
        {
            IdentityNumber = "001190000009",
            Pivot = new PivotIdentity { GivenName = "Lan", FamilyName = "Trần Thị", Birthdate = new DateOnly(1988, 2, 29), Gender = Gender.Female, Birthplace = "79001" },
            Email = "lan@example.vn",
            EmailVerified = true,
        };

        var claims = ScopesAndClaims.ForPerson(person, ["openid", "profile", "birth", "phone", "identity_number", "address", "enterprise"]);

        Assert.Equal("Lan", claims["given_name"]);
        Assert.Equal("1988-02-29", claims["birthdate"]);
        Assert.Equal("female", claims["gender"]);
        Assert.Equal("79001", claims["birthplace"]);
        Assert.False(claims.ContainsKey("birthcountry"));   // no value, no claim
        Assert.False(claims.ContainsKey("email"));          // scope not granted
        Assert.False(claims.ContainsKey("phone_number"));   // granted, but the person has none
        Assert.False(claims.ContainsKey("address"));        // granted, but the person has none
        Assert.Equal("001190000009", claims["identity_number"]);
        Assert.DoesNotContain(claims.Keys, k => k.StartsWith("enterprise", StringComparison.Ordinal)); // whom one acts for is not in the record
    }

    [Fact]
    public void ClaimsAskedOneByOne_AreReleasedOnlyFromAllowedScopes_AndUnknownOnesAreIgnored()
    {
        var person = new Person
        {
            IdentityNumber = "001190000009",
            Pivot = new PivotIdentity { GivenName = "Lan", FamilyName = "Trần Thị", Birthdate = new DateOnly(1988, 2, 29), Gender = Gender.Female },
            Email = "lan@example.vn",
            PhoneNumber = "+84901112233",
            Address = new PostalAddress { Locality = "Huế", Country = "VN" },
        };
        var allowed = new HashSet<string>(["openid", "email", "address"], StringComparer.Ordinal);

        var releasable = ScopesAndClaims.Releasable(["email", "address", "phone_number", "name", "identity_number", "sub", "acr", "enterprise_id", "email"], allowed);

        // phone and identity_number are not allowed; name is not a claim of the hub; sub and acr come with every ID token.
        Assert.Equal(["email", "address"], releasable);
        var claims = ScopesAndClaims.ForPerson(person, ["openid"], releasable);
        Assert.Equal(["address", "email"], claims.Keys.Order(StringComparer.Ordinal));
        var address = (JsonElement)claims["address"];
        Assert.Equal(["locality", "country"], address.EnumerateObject().Select(m => m.Name));
        Assert.Equal("Huế", address.GetProperty("locality").GetString());
    }
}
