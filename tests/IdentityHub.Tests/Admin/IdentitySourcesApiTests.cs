using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using IdentityHub.Data;
using IdentityHub.IdentitySources;
using IdentityHub.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityHub.Tests.Admin;

/// <summary>The identity-source endpoints of the admin API, on each database provider.</summary>
public abstract class IdentitySourcesApiTests(HubFactory hub)
{
    private const string Path = "/api/admin/v1/identity-sources";
    private const string Secret = "upstream-secret-0123456789-abcdefghij";

    [Fact]
    public async Task CreateOidcSource_ValidBody_Is201WithTheStoredObjectAndNoSecret()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using var response = await http.PostAsJsonAsync(Path, ValidSource(id));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"{Path}/{id}", response.Headers.Location?.OriginalString);
        var raw = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(Secret, raw, StringComparison.Ordinal);
        var body = JsonDocument.Parse(raw).RootElement;
        Assert.False(body.TryGetProperty("clientSecret", out _));
        Assert.True(body.GetProperty("hasClientSecret").GetBoolean());
        Assert.Equal(id, body.GetProperty("id").GetString());
        Assert.Equal("Cổng dịch vụ công quốc gia", body.GetProperty("displayName").GetString());
        Assert.Equal("oidc", body.GetProperty("kind").GetString());
        Assert.Equal("https://idp.example.vn/", body.GetProperty("authority").GetString());
        Assert.Equal("identity-hub", body.GetProperty("clientId").GetString());
        Assert.Equal(["openid", "profile"], body.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("eidas2", body.GetProperty("acr").GetString());
        Assert.Equal("individuals", body.GetProperty("subjects").GetString());
        Assert.Equal("cccd", body.GetProperty("claimMappings").GetProperty("identity_number").GetString());
        Assert.Equal("client_secret_basic", body.GetProperty("tokenEndpointAuthMethod").GetString());
        Assert.True(body.GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public async Task CreateOidcSource_MinimalBody_DefaultsScopesAndAuthMethod()
    {
        using var http = await hub.CreateAdminClientAsync();
        var source = ValidSource(NewId());
        source.Remove("scopes");
        source.Remove("tokenEndpointAuthMethod");
        source.Remove("claimMappings");
        source.Remove("enabled");
        using var response = await http.PostAsJsonAsync(Path, source);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["openid"], body.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("client_secret_basic", body.GetProperty("tokenEndpointAuthMethod").GetString());
        Assert.Empty(body.GetProperty("claimMappings").EnumerateObject());
        Assert.True(body.GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public async Task CreateOidcSource_ClientSecretPostAndLoopbackHttp_IsAccepted()
    {
        using var http = await hub.CreateAdminClientAsync();
        var source = ValidSource(NewId());
        source["authority"] = "http://127.0.0.1:5001/realms/test";
        source["tokenEndpointAuthMethod"] = "client_secret_post";
        using var response = await http.PostAsJsonAsync(Path, source);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("client_secret_post", body.GetProperty("tokenEndpointAuthMethod").GetString());
    }

    [Fact]
    public async Task CreateOidcSource_PrivateKeyJwtWithoutSecret_IsAcceptedAndKeepsNoSecret()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        var source = ValidSource(id);
        source.Remove("clientSecret");
        source["tokenEndpointAuthMethod"] = "private_key_jwt";
        using var response = await http.PostAsJsonAsync(Path, source);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("private_key_jwt", body.GetProperty("tokenEndpointAuthMethod").GetString());
        Assert.False(body.GetProperty("hasClientSecret").GetBoolean());
        Assert.Null((await StoredAsync(id)).ProtectedClientSecret);
    }

    [Fact]
    public async Task Replace_SecretSourceWithPrivateKeyJwt_DropsTheStoredSecret()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using (var created = await http.PostAsJsonAsync(Path, ValidSource(id)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var replacement = ValidSource(id);
        replacement.Remove("clientSecret");
        replacement["tokenEndpointAuthMethod"] = "private_key_jwt";
        using var response = await http.PutAsJsonAsync($"{Path}/{id}", replacement);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hasClientSecret").GetBoolean());
        Assert.Null((await StoredAsync(id)).ProtectedClientSecret);

        // Back to a secret method, a secret is required again.
        replacement["tokenEndpointAuthMethod"] = "client_secret_post";
        using var back = await http.PutAsJsonAsync($"{Path}/{id}", replacement);
        await AssertInvalidAsync(back, "clientSecret");
    }

    [Fact]
    public async Task CreateOidcSource_Always_StoresTheSecretProtected()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using var response = await http.PostAsJsonAsync(Path, ValidSource(id));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var stored = await StoredAsync(id);
        Assert.NotNull(stored.ProtectedClientSecret);
        Assert.DoesNotContain(Secret, stored.ProtectedClientSecret, StringComparison.Ordinal);
        Assert.Equal(Secret, Unprotect(stored.ProtectedClientSecret));
    }

    [Fact]
    public async Task List_AfterCreate_ContainsTheNewSourceWithoutSecrets()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using (var created = await http.PostAsJsonAsync(Path, ValidSource(id)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var raw = await http.GetStringAsync(Path);
        Assert.DoesNotContain(Secret, raw, StringComparison.Ordinal);
        var list = JsonDocument.Parse(raw).RootElement.EnumerateArray().ToList();
        var source = Assert.Single(list, s => s.GetProperty("id").GetString() == id);
        Assert.True(source.GetProperty("hasClientSecret").GetBoolean());
    }

    [Fact]
    public async Task List_Always_ContainsTheRegistrySource()
    {
        using var http = await hub.CreateAdminClientAsync();
        var list = await http.GetFromJsonAsync<List<JsonElement>>(Path);

        var registry = Assert.Single(list!, s => s.GetProperty("id").GetString() == IdentitySource.RegistryId);
        Assert.Equal("registry", registry.GetProperty("kind").GetString());
        Assert.False(registry.GetProperty("hasClientSecret").GetBoolean());
        Assert.Equal("both", registry.GetProperty("subjects").GetString());
    }

    [Fact]
    public async Task Get_ExistingSource_ReturnsItWithoutSecret()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using (var created = await http.PostAsJsonAsync(Path, ValidSource(id)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var response = await http.GetAsync($"{Path}/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var raw = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(Secret, raw, StringComparison.Ordinal);
        var body = JsonDocument.Parse(raw).RootElement;
        Assert.Equal(id, body.GetProperty("id").GetString());
        Assert.Equal("identity-hub", body.GetProperty("clientId").GetString());
    }

    [Fact]
    public async Task Replace_WithoutClientSecret_KeepsTheStoredSecretAndChangesTheRest()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using (var created = await http.PostAsJsonAsync(Path, ValidSource(id)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var before = (await StoredAsync(id)).ProtectedClientSecret;

        var replacement = ValidSource(id);
        replacement.Remove("clientSecret");
        replacement["displayName"] = "VNeID";
        replacement["acr"] = "eidas3";
        replacement["subjects"] = "both";
        replacement["scopes"] = new JsonArray("openid", "email");
        replacement["claimMappings"] = new JsonObject { ["email"] = "mail" };
        using var response = await http.PutAsJsonAsync($"{Path}/{id}", replacement);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("VNeID", body.GetProperty("displayName").GetString());
        Assert.Equal("eidas3", body.GetProperty("acr").GetString());
        Assert.Equal("both", body.GetProperty("subjects").GetString());
        Assert.Equal(["openid", "email"], body.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("mail", body.GetProperty("claimMappings").GetProperty("email").GetString());
        Assert.False(body.GetProperty("claimMappings").TryGetProperty("identity_number", out _));
        Assert.True(body.GetProperty("hasClientSecret").GetBoolean());

        var stored = await StoredAsync(id);
        Assert.Equal(before, stored.ProtectedClientSecret);
        Assert.NotEqual(Secret, stored.ProtectedClientSecret);
        Assert.Equal(Secret, Unprotect(stored.ProtectedClientSecret!));
        Assert.Equal("VNeID", stored.DisplayName);
        Assert.Equal(["openid", "email"], stored.Scopes);
        Assert.Equal("mail", stored.ClaimMappings["email"]);
    }

    [Fact]
    public async Task Replace_WithNewClientSecret_StoresTheNewOneProtected()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using (var created = await http.PostAsJsonAsync(Path, ValidSource(id)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var replacement = ValidSource(id);
        replacement["clientSecret"] = "rotated-upstream-secret";
        using var response = await http.PutAsJsonAsync($"{Path}/{id}", replacement);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("rotated-upstream-secret", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("rotated-upstream-secret", Unprotect((await StoredAsync(id)).ProtectedClientSecret!));
    }

    [Fact]
    public async Task Replace_EnabledFalse_DisablesTheSourceWithoutDeletingIt()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using (var created = await http.PostAsJsonAsync(Path, ValidSource(id)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var replacement = ValidSource(id);
        replacement.Remove("clientSecret");
        replacement["enabled"] = false;
        using var response = await http.PutAsJsonAsync($"{Path}/{id}", replacement);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var read = await http.GetFromJsonAsync<JsonElement>($"{Path}/{id}");
        Assert.False(read.GetProperty("enabled").GetBoolean());
        Assert.False((await StoredAsync(id)).Enabled);
    }

    [Fact]
    public async Task Replace_RegistryPresentationSettings_AreChanged()
    {
        using var http = await hub.CreateAdminClientAsync();
        var original = await http.GetFromJsonAsync<JsonObject>($"{Path}/{IdentitySource.RegistryId}");
        try
        {
            // A read, edited and sent back: its empty scopes and mappings are accepted.
            var replacement = original!.DeepClone().AsObject();
            replacement["displayName"] = "Registry (maintenance)";
            replacement["acr"] = "eidas1";
            replacement["subjects"] = "individuals";
            replacement["enabled"] = false;
            using var response = await http.PutAsJsonAsync($"{Path}/{IdentitySource.RegistryId}", replacement);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Registry (maintenance)", body.GetProperty("displayName").GetString());
            Assert.Equal("eidas1", body.GetProperty("acr").GetString());
            Assert.Equal("individuals", body.GetProperty("subjects").GetString());
            Assert.False(body.GetProperty("enabled").GetBoolean());
            Assert.Equal("registry", body.GetProperty("kind").GetString());
        }
        finally
        {
            using var restore = await http.PutAsJsonAsync($"{Path}/{IdentitySource.RegistryId}", original);
            Assert.Equal(HttpStatusCode.OK, restore.StatusCode);
        }
    }

    [Theory]
    [InlineData("kind", """{"kind": "oidc"}""")]
    [InlineData("authority", """{"authority": "https://idp.example.vn/"}""")]
    [InlineData("clientId", """{"clientId": "identity-hub"}""")]
    [InlineData("clientSecret", """{"clientSecret": "s3cret"}""")]
    [InlineData("scopes", """{"scopes": ["openid"]}""")]
    [InlineData("claimMappings", """{"claimMappings": {"email": "mail"}}""")]
    [InlineData("tokenEndpointAuthMethod", """{"tokenEndpointAuthMethod": "client_secret_post"}""")]
    public async Task Replace_RegistryKindOrClientSettings_Is400NamingTheField(string field, string change)
    {
        using var http = await hub.CreateAdminClientAsync();
        var registry = await http.GetFromJsonAsync<JsonObject>($"{Path}/{IdentitySource.RegistryId}");
        var replacement = Apply(registry!, change);
        using var response = await http.PutAsJsonAsync($"{Path}/{IdentitySource.RegistryId}", replacement);

        await AssertInvalidAsync(response, field);
        var stored = await StoredAsync(IdentitySource.RegistryId);
        Assert.Equal(IdentitySourceKind.Registry, stored.Kind);
        Assert.Null(stored.Authority);
        Assert.Null(stored.ProtectedClientSecret);
    }

    [Fact]
    public async Task Replace_BodyIdDiffersFromPath_Is400NamingId()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using (var created = await http.PostAsJsonAsync(Path, ValidSource(id)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var response = await http.PutAsJsonAsync($"{Path}/{id}", ValidSource(NewId()));
        await AssertInvalidAsync(response, "id");
    }

    [Fact]
    public async Task Replace_InvalidBody_LeavesTheSourceUnchanged()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using (var created = await http.PostAsJsonAsync(Path, ValidSource(id)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var before = await StoredAsync(id);

        var replacement = ValidSource(id);
        replacement["displayName"] = "Changed";
        replacement["clientSecret"] = "another-secret";
        replacement["scopes"] = new JsonArray("profile");
        using var response = await http.PutAsJsonAsync($"{Path}/{id}", replacement);

        await AssertInvalidAsync(response, "scopes");
        var after = await StoredAsync(id);
        Assert.Equal(before.DisplayName, after.DisplayName);
        Assert.Equal(before.ProtectedClientSecret, after.ProtectedClientSecret);
    }

    [Fact]
    public async Task Delete_OidcSource_Is204ThenGetIs404()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using (var created = await http.PostAsJsonAsync(Path, ValidSource(id)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var deleted = await http.DeleteAsync($"{Path}/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using var response = await http.GetAsync($"{Path}/{id}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await using var scope = hub.Services.CreateAsyncScope();
        Assert.False(await scope.ServiceProvider.GetRequiredService<HubDbContext>().IdentitySources.AnyAsync(s => s.Id == id));
    }

    [Theory]
    [InlineData("id", """{"id": null}""")]
    [InlineData("id", """{"id": ""}""")]
    [InlineData("id", """{"id": "Upper-Case"}""")]
    [InlineData("id", """{"id": "with/slash"}""")]
    [InlineData("id", """{"id": "with.dot"}""")]
    [InlineData("id", """{"id": "a0123456789012345678901234567890123456789012345678901234567890123"}""")]
    [InlineData("displayName", """{"displayName": null}""")]
    [InlineData("displayName", """{"displayName": "   "}""")]
    [InlineData("kind", """{"kind": null}""")]
    [InlineData("kind", """{"kind": "saml"}""")]
    [InlineData("authority", """{"authority": null}""")]
    [InlineData("authority", """{"authority": "not a url"}""")]
    [InlineData("authority", """{"authority": "/relative"}""")]
    [InlineData("authority", """{"authority": "ftp://idp.example.vn/"}""")]
    [InlineData("authority", """{"authority": "http://idp.example.vn/"}""")]
    [InlineData("authority", """{"authority": "https://idp.example.vn/?tenant=1"}""")]
    [InlineData("authority", """{"authority": "https://idp.example.vn/#x"}""")]
    [InlineData("clientId", """{"clientId": null}""")]
    [InlineData("clientId", """{"clientId": " "}""")]
    [InlineData("clientSecret", """{"clientSecret": null}""")]
    [InlineData("clientSecret", """{"clientSecret": ""}""")]
    [InlineData("scopes", """{"scopes": ["profile"]}""")]
    [InlineData("scopes", """{"scopes": []}""")]
    [InlineData("scopes", """{"scopes": ["openid", "two words"]}""")]
    [InlineData("acr", """{"acr": null}""")]
    [InlineData("acr", """{"acr": "eidas4"}""")]
    [InlineData("acr", """{"acr": "EIDAS2"}""")]
    [InlineData("subjects", """{"subjects": null}""")]
    [InlineData("subjects", """{"subjects": "people"}""")]
    [InlineData("claimMappings", """{"claimMappings": {"favourite_colour": "colour"}}""")]
    [InlineData("claimMappings", """{"claimMappings": {"sub": "id"}}""")]
    [InlineData("claimMappings", """{"claimMappings": {"given_name": ""}}""")]
    [InlineData("claimMappings", """{"claimMappings": {"given_name": null}}""")]
    [InlineData("tokenEndpointAuthMethod", """{"tokenEndpointAuthMethod": "client_secret_jwt"}""")]
    [InlineData("tokenEndpointAuthMethod", """{"tokenEndpointAuthMethod": "none"}""")]
    [InlineData("clientSecret", """{"tokenEndpointAuthMethod": "private_key_jwt"}""")]
    public async Task Create_InvalidField_Is400NamingExactlyThatField(string field, string change)
    {
        using var http = await hub.CreateAdminClientAsync();
        var source = Apply(ValidSource(NewId()), change);
        using var response = await http.PostAsJsonAsync(Path, source);

        await AssertInvalidAsync(response, field);
        if (source["id"]?.GetValue<string>() is { Length: > 0 } id)
        {
            await using var scope = hub.Services.CreateAsyncScope();
            Assert.False(await scope.ServiceProvider.GetRequiredService<HubDbContext>().IdentitySources.AnyAsync(s => s.Id == id));
        }
    }

    [Fact]
    public async Task Create_DisplayNameOver200Characters_Is400NamingDisplayName()
    {
        using var http = await hub.CreateAdminClientAsync();
        var source = ValidSource(NewId());
        source["displayName"] = new string('x', 201);
        using var response = await http.PostAsJsonAsync(Path, source);
        await AssertInvalidAsync(response, "displayName");
    }

    [Fact]
    public async Task Create_IdOf64Characters_IsAccepted()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = (NewId() + new string('a', 64))[..64];
        using var response = await http.PostAsJsonAsync(Path, ValidSource(id));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Create_DuplicateId_Is409()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using (var created = await http.PostAsJsonAsync(Path, ValidSource(id)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var again = ValidSource(id);
        again["displayName"] = "Someone else";
        using var response = await http.PostAsJsonAsync(Path, again);
        await AssertProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Equal("Cổng dịch vụ công quốc gia", (await StoredAsync(id)).DisplayName);
    }

    [Fact]
    public async Task Create_IdOfTheRegistry_Is409()
    {
        using var http = await hub.CreateAdminClientAsync();
        using var response = await http.PostAsJsonAsync(Path, ValidSource(IdentitySource.RegistryId));
        await AssertProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Equal(IdentitySourceKind.Registry, (await StoredAsync(IdentitySource.RegistryId)).Kind);
    }

    [Fact]
    public async Task Create_SecondRegistryKindSource_Is409()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        var source = new JsonObject
        {
            ["id"] = id,
            ["displayName"] = "Another registry",
            ["kind"] = "registry",
            ["acr"] = "eidas2",
            ["subjects"] = "both",
            ["enabled"] = true,
        };
        using var response = await http.PostAsJsonAsync(Path, source);

        var problem = await AssertProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("exists once", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await using var scope = hub.Services.CreateAsyncScope();
        Assert.False(await scope.ServiceProvider.GetRequiredService<HubDbContext>().IdentitySources.AnyAsync(s => s.Id == id));
    }

    [Fact]
    public async Task Replace_OidcSourceIntoRegistryKind_Is409()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using (var created = await http.PostAsJsonAsync(Path, ValidSource(id)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var replacement = ValidSource(id);
        replacement["kind"] = "registry";
        using var response = await http.PutAsJsonAsync($"{Path}/{id}", replacement);
        await AssertProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Equal(IdentitySourceKind.Oidc, (await StoredAsync(id)).Kind);
    }

    [Fact]
    public async Task Delete_RegistrySource_Is409AndItStays()
    {
        using var http = await hub.CreateAdminClientAsync();
        using var response = await http.DeleteAsync($"{Path}/{IdentitySource.RegistryId}");
        await AssertProblemAsync(response, HttpStatusCode.Conflict);
        using var read = await http.GetAsync($"{Path}/{IdentitySource.RegistryId}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task UnknownId_GetPutDelete_Are404()
    {
        using var http = await hub.CreateAdminClientAsync();
        var id = NewId();
        using (var get = await http.GetAsync($"{Path}/{id}"))
        {
            await AssertProblemAsync(get, HttpStatusCode.NotFound);
        }
        using (var put = await http.PutAsJsonAsync($"{Path}/{id}", ValidSource(id)))
        {
            await AssertProblemAsync(put, HttpStatusCode.NotFound);
        }
        using (var delete = await http.DeleteAsync($"{Path}/{id}"))
        {
            await AssertProblemAsync(delete, HttpStatusCode.NotFound);
        }
        await using var scope = hub.Services.CreateAsyncScope();
        Assert.False(await scope.ServiceProvider.GetRequiredService<HubDbContext>().IdentitySources.AnyAsync(s => s.Id == id));
    }

    [Fact]
    public async Task IdentitySources_WithoutToken_Are401()
    {
        using var http = hub.CreateApiClient();
        using (var list = await http.GetAsync(Path))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
            Assert.Equal("Bearer", list.Headers.WwwAuthenticate.Single().Scheme);
        }
        var id = NewId();
        using (var create = await http.PostAsJsonAsync(Path, ValidSource(id)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, create.StatusCode);
        }
        await using var scope = hub.Services.CreateAsyncScope();
        Assert.False(await scope.ServiceProvider.GetRequiredService<HubDbContext>().IdentitySources.AnyAsync(s => s.Id == id));
    }

    [Fact]
    public async Task OpenApi_Always_DescribesTheIdentitySourceEndpoints()
    {
        using var http = hub.CreateApiClient();
        var document = await http.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/admin/v1/identity-sources/{id}", document, StringComparison.Ordinal);
        Assert.Contains("Identity sources", document, StringComparison.Ordinal);
        Assert.Contains("hasClientSecret", document, StringComparison.Ordinal);
    }

    [Fact]
    public void Request_ToString_LeavesTheClientSecretOut()
    {
        var request = new IdentityHub.Admin.IdentitySourceRequest { Id = "vneid", ClientSecret = Secret };
        Assert.DoesNotContain(Secret, request.ToString(), StringComparison.Ordinal);
        Assert.Contains("vneid", request.ToString(), StringComparison.Ordinal);
    }

    private static string NewId() => "src-" + Guid.NewGuid().ToString("N")[..12];

    private static JsonObject ValidSource(string id) => new()
    {
        ["id"] = id,
        ["displayName"] = "Cổng dịch vụ công quốc gia",
        ["kind"] = "oidc",
        ["authority"] = "https://idp.example.vn/",
        ["clientId"] = "identity-hub",
        ["clientSecret"] = Secret,
        ["scopes"] = new JsonArray("openid", "profile"),
        ["acr"] = "eidas2",
        ["subjects"] = "individuals",
        ["claimMappings"] = new JsonObject { ["identity_number"] = "cccd" },
        ["tokenEndpointAuthMethod"] = "client_secret_basic",
        ["enabled"] = true,
    };

    /// <summary>The body with the change's properties set; a null in the change removes the property.</summary>
    private static JsonObject Apply(JsonObject body, string change)
    {
        var result = body.DeepClone().AsObject();
        foreach (var (name, value) in JsonNode.Parse(change)!.AsObject())
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result[name] = value.DeepClone();
            }
        }
        return result;
    }

    private static async Task AssertInvalidAsync(HttpResponseMessage response, string field)
    {
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var keys = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name);
        Assert.Equal([field], keys);
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<IdentitySource> StoredAsync(string id)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HubDbContext>().IdentitySources.AsNoTracking().SingleAsync(s => s.Id == id);
    }

    private string Unprotect(string protectedSecret) =>
        hub.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(IdentitySource.ClientSecretPurpose).Unprotect(protectedSecret);
}

public sealed class SqliteIdentitySourcesApiTests(SqliteHub hub) : IdentitySourcesApiTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresIdentitySourcesApiTests(PostgresHub hub) : IdentitySourcesApiTests(hub), IClassFixture<PostgresHub>;
