using System.Net;
using System.Text;
using System.Text.Json;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityHub.Tests.Fuzz;

/// <summary>What each kind of caller reads when its request is malformed (docs/integration.md, "Errors"), on each database.</summary>
public abstract class MalformedInputAnswerTests(HubFactory hub)
{
    [Fact]
    public async Task Token_WithNulInTheSecret_IsInvalidRequest()
    {
        using var http = hub.CreateApiClient();
        using var response = await http.PostAsync("/connect/token", Form("grant_type=client_credentials&client_id=hub-admin&client_secret=%00&scope=hub.admin"));
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Token_WithAControlCharacterInBasicCredentials_IsInvalidRequest()
    {
        using var http = hub.CreateApiClient();
        foreach (var credentials in new[] { "%00:secret", "hub-admin:%00", "hub%01admin:secret" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token") { Content = Form("grant_type=client_credentials") };
            request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes(credentials)));
            using var response = await http.SendAsync(request);
            await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest);
        }
    }

    [Theory]
    [InlineData("state", "fuzz%00state")]
    [InlineData("nonce", "n%1B")]
    [InlineData("state", "%C0%AF")]
    [InlineData("nonce", "%ED%A0%80")]
    [InlineData("login_hint", "%FF")]
    public async Task Authorize_Malformed_ShowsTheErrorPageToABrowser_AnOAuthErrorToAScript_AndStartsNoLogin(string parameter, string encoded)
    {
        using var http = hub.CreateApiClient();
        var journeys = await JourneyCountAsync();
        var url = OidcClient.Demo().AuthorizeUrl(extra: new() { [parameter] = "PLACEHOLDER" }).Replace("PLACEHOLDER", encoded, StringComparison.Ordinal);

        using var page = new HttpRequestMessage(HttpMethod.Get, url);
        page.Headers.Accept.ParseAdd("text/html");
        using var shown = await http.SendAsync(page);
        Assert.Equal(HttpStatusCode.BadRequest, shown.StatusCode);
        Assert.Equal("text/html", shown.Content.Headers.ContentType!.MediaType);
        Assert.Contains("invalid_request", await shown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var script = await http.GetAsync(url);
        await AssertOAuthErrorAsync(script, HttpStatusCode.BadRequest);
        Assert.Equal(journeys, await JourneyCountAsync());
    }

    [Fact]
    public async Task Forms_OverTheSizeLimit_Are413_AndWithTooManyFields_Are400()
    {
        using var http = hub.CreateApiClient();
        using var huge = await http.PostAsync("/connect/token", Form("grant_type=client_credentials&x=" + new string('a', 10 * 1024 * 1024)));
        await AssertOAuthErrorAsync(huge, HttpStatusCode.RequestEntityTooLarge);

        using var many = await http.PostAsync("/connect/token", Form("grant_type=client_credentials&" + string.Join('&', Enumerable.Range(0, 2000).Select(i => $"p{i}=v"))));
        await AssertOAuthErrorAsync(many, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Admin_WithNulInAString_Is400NamingTheField_AndWritesNothing()
    {
        using var http = await hub.CreateAdminClientAsync();
        using var response = await http.PostAsync("/api/admin/v1/registry/enterprises", Json("{\"enterpriseId\":\"0109999998\",\"name\":\"Công ty\\u0000\"}"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty("name", out _), body);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/admin/v1/registry/enterprises/0109999998")).StatusCode);
    }

    [Fact]
    public async Task Admin_WithAPropertyTwice_OrAnotherCharset_IsRefused_AndWritesNothing()
    {
        using var http = await hub.CreateAdminClientAsync();
        using var twice = await http.PostAsync("/api/admin/v1/registry/enterprises", Json("{\"enterpriseId\":\"0109999997\",\"name\":\"A\",\"name\":\"B\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Equal("application/problem+json", twice.Content.Headers.ContentType!.MediaType);

        var content = Json("{\"enterpriseId\":\"0109999997\",\"name\":\"A\"}");
        content.Headers.ContentType!.CharSet = "bogus";
        using var charset = await http.PostAsync("/api/admin/v1/registry/enterprises", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, charset.StatusCode);
        Assert.Equal("application/problem+json", charset.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/admin/v1/registry/enterprises/0109999997")).StatusCode);
    }

    private static StringContent Form(string body) => new(body, Encoding.ASCII, "application/x-www-form-urlencoded");

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task AssertOAuthErrorAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("invalid_request", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
    }

    private async Task<int> JourneyCountAsync()
    {
        await using var scope = hub.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IdentityHub.Data.HubDbContext>().LoginJourneys.CountAsync();
    }
}

public sealed class SqliteMalformedInputAnswerTests(SqliteHub hub) : MalformedInputAnswerTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresMalformedInputAnswerTests(PostgresHub hub) : MalformedInputAnswerTests(hub), IClassFixture<PostgresHub>;
