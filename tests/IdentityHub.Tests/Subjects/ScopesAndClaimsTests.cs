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
    public async Task AdminApi_AcceptsEveryScopeOfTheTable_AndRefusesOthers()
    {
        using var admin = await hub.CreateAdminClientAsync();
        var clientId = "all-scopes-" + Guid.NewGuid().ToString("N")[..8];
        using var accepted = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId,
            displayName = "Every scope",
            clientType = "confidential",
            redirectUris = new[] { "https://every.gov.vn/cb" },
            allowedScopes = ScopesAndClaims.Names.ToArray(),
        });
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);

        using var refused = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId = clientId + "-x",
            displayName = "Unknown scope",
            clientType = "confidential",
            redirectUris = new[] { "https://every.gov.vn/cb" },
            allowedScopes = new[] { "openid", "shoe_size" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("allowedScopes", out _));
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

        var claims = ScopesAndClaims.ForPerson(person, ["openid", "profile", "birth", "phone", "identity_number"]);

        Assert.Equal("Lan", claims["given_name"]);
        Assert.Equal("1988-02-29", claims["birthdate"]);
        Assert.Equal("female", claims["gender"]);
        Assert.Equal("79001", claims["birthplace"]);
        Assert.False(claims.ContainsKey("birthcountry"));   // no value, no claim
        Assert.False(claims.ContainsKey("email"));          // scope not granted
        Assert.False(claims.ContainsKey("phone_number"));   // granted, but the person has none
        Assert.False(claims.ContainsKey("identity_number")); // not served yet
    }
}
