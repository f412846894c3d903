using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IdentityHub.Protocol;
using IdentityHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IdentityHub.Tests.Protocol;

/// <summary>
/// Key rotation (CONTRACT section 3, <c>/keys</c>): a new key is published at once and signs from its activation, the
/// old one keeps validating what it signed until it retires, and every instance switches at the same moment. Time is
/// the hubs' fake clock; PostgreSQL, where several instances share the keys.
/// </summary>
public sealed class KeyRotationTests
{
    private static readonly string[] Algorithms = ["RS256", "ES256", "A256KW"];

    [Fact]
    public async Task Rotation_PublishesAtOnce_SignsFromActivation_AndTheOldKeyValidatesUntilItRetires()
    {
        var time = Clock();
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Postgres, time: time);
        using var http = hub.CreateApiClient();
        var before = await LogInAsync(hub, http);
        var old = await KeysAsync(hub);
        var oldRsa = Active(old, "RS256");
        var oldEc = Active(old, "ES256");
        Assert.Equal(oldRsa.Kid, new JsonWebToken(before.IdToken).Kid);

        // A first rotation with the default lead, then a second before it activates: the first next key is superseded.
        var first = await RotateAsync(hub, body: null);
        var superseded = first.Single(k => k.Alg == "RS256" && k.Status == "next");
        Assert.Equal(time.GetUtcNow().AddHours(24), superseded.ActivatesAt);
        Assert.Contains(superseded.Kid, await JwksKidsAsync(http));
        var rotated = await RotateAsync(hub, new { activateAfterSeconds = 3600 });
        Assert.Equal("retired", rotated.Single(k => k.Kid == superseded.Kid).Status);
        Assert.DoesNotContain(superseded.Kid, await JwksKidsAsync(http));

        var activatesAt = time.GetUtcNow().AddHours(1);
        foreach (var algorithm in Algorithms)
        {
            var next = rotated.Single(k => k.Alg == algorithm && k.Status == "next");
            Assert.Equal(activatesAt, next.ActivatesAt);
            var current = rotated.Single(k => k.Alg == algorithm && k.Status == "active");
            Assert.Equal(Active(old, algorithm).Kid, current.Kid);
            // Beyond the last expiry of what it protected: the hub session (id_token_hint) for RS256, refresh tokens otherwise.
            Assert.Equal(activatesAt + TimeSpan.FromHours(12) + KeyRotation.Margin, current.RetiresAt);
        }
        var newRsa = rotated.Single(k => k.Alg == "RS256" && k.Status == "next");
        var newEc = rotated.Single(k => k.Alg == "ES256" && k.Status == "next");
        var jwks = await JwksKidsAsync(http);
        Assert.Equal(new[] { oldRsa.Kid, newRsa.Kid, oldEc.Kid, newEc.Kid }.Order(StringComparer.Ordinal), jwks.Order(StringComparer.Ordinal));

        // Until the activation, the old key signs.
        time.Advance(TimeSpan.FromMinutes(58));
        var justBefore = await LogInAsync(hub, http);
        Assert.Equal(oldRsa.Kid, new JsonWebToken(justBefore.IdToken).Kid);
        Assert.Equal(oldRsa.Kid, new JsonWebToken(justBefore.AccessToken).Kid);

        // From it, the new one; a token of the old key still works at userinfo and introspection.
        time.Advance(TimeSpan.FromMinutes(2));
        var after = await LogInAsync(hub, http);
        Assert.Equal(newRsa.Kid, new JsonWebToken(after.IdToken).Kid);
        Assert.Equal(newRsa.Kid, new JsonWebToken(after.AccessToken).Kid);
        Assert.Equal(HttpStatusCode.OK, await UserInfoStatusAsync(http, justBefore.AccessToken));
        Assert.True(await IsActiveAsync(http, justBefore.AccessToken));
        var during = await KeysAsync(hub);
        Assert.Equal(newRsa.Kid, Active(during, "RS256").Kid);
        Assert.Equal("retiring", during.Single(k => k.Kid == oldRsa.Kid).Status);
        Assert.Contains(oldRsa.Kid, await JwksKidsAsync(http));

        // Once retired, the old keys leave JWKS and are shown retired; logins go on with the new ones.
        time.Advance(TimeSpan.FromHours(12) + KeyRotation.Margin);
        jwks = await JwksKidsAsync(http);
        Assert.Equal(new[] { newRsa.Kid, newEc.Kid }.Order(StringComparer.Ordinal), jwks.Order(StringComparer.Ordinal));
        var final = await KeysAsync(hub);
        Assert.All(Algorithms, algorithm => Assert.Equal("retired", final.Single(k => k.Kid == Active(old, algorithm).Kid).Status));
        Assert.Equal(newRsa.Kid, new JsonWebToken((await LogInAsync(hub, http)).IdToken).Kid);
    }

    [Fact]
    public async Task CodeAndRefreshTokens_IssuedBeforeTheRotation_AreRedeemedAfterTheNewKeysActivate_UntilTheyExpire()
    {
        var time = Clock();
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Postgres, time: time);
        using var http = hub.CreateApiClient();
        var tokens = await LogInAsync(hub, http);
        var kept = await LogInAsync(hub, http);
        var client = OidcClient.Demo();
        using var browser = hub.CreateBrowser();
        var code = (await client.LoginAsync(browser))["code"];
        var old = await KeysAsync(hub);

        var rotated = await RotateAsync(hub, new { activateAfterSeconds = 30 });
        time.Advance(TimeSpan.FromSeconds(31));

        var redeemed = await client.RedeemAsync(http, code);
        Assert.Equal(HttpStatusCode.OK, redeemed.Status);
        var refreshed = await OidcClient.Demo().RefreshAsync(http, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        var newRsa = rotated.Single(k => k.Alg == "RS256" && k.Status == "next").Kid;
        Assert.Equal(newRsa, new JsonWebToken(redeemed.IdToken).Kid);
        Assert.Equal(newRsa, new JsonWebToken(refreshed.AccessToken).Kid);
        // The refresh tokens name their encryption key: the old one before, the new one after.
        Assert.Equal(Active(old, "A256KW").Kid, new JsonWebToken(tokens.RefreshToken).Kid);
        Assert.Equal(rotated.Single(k => k.Alg == "A256KW" && k.Status == "next").Kid, new JsonWebToken(refreshed.RefreshToken).Kid);

        // A refresh token of the old keys works until its own expiry, which comes before theirs.
        time.Advance(TimeSpan.FromHours(12) - TimeSpan.FromMinutes(2));
        Assert.Equal("retiring", (await KeysAsync(hub)).Single(k => k.Kid == Active(old, "A256KW").Kid).Status);
        var late = await OidcClient.Demo().RefreshAsync(http, kept.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, late.Status);
        Assert.Equal(HttpStatusCode.OK, (await OidcClient.Demo().RefreshAsync(http, refreshed.RefreshToken)).Status);
    }

    [Fact]
    public async Task TwoInstances_SwitchToTheNewKeyAtTheSameMoment_AndLoginsSucceedAcrossTheSwitch()
    {
        var time = Clock();
        await using var first = await HubFactory.CreateAsync(HubDatabase.Postgres, time: time);
        await using var second = new HubFactory(HubDatabase.Postgres, first.ConnectionString, time: time);
        using var http1 = first.CreateApiClient();
        using var http2 = second.CreateApiClient();
        var oldRsa = Active(await KeysAsync(first), "RS256").Kid;
        Assert.Equal(oldRsa, new JsonWebToken((await LogInAsync(second, http2)).IdToken).Kid);

        var rotated = await RotateAsync(first, new { activateAfterSeconds = 600 });
        var newRsa = rotated.Single(k => k.Alg == "RS256" && k.Status == "next").Kid;
        // The other instance hears of it at once, without a restart.
        Assert.True(await EventuallyAsync(async () => (await JwksKidsAsync(http2)).Contains(newRsa)), "The second instance never published the new key.");
        Assert.Equal(await http1.GetStringAsync("/.well-known/jwks"), await http2.GetStringAsync("/.well-known/jwks"));
        Assert.Equal(JsonSerializer.Serialize(await KeysAsync(first)), JsonSerializer.Serialize(await KeysAsync(second)));

        // A login begun on the first instance just before the switch ends on the second just after it.
        time.Advance(TimeSpan.FromSeconds(598));
        var jar = new CookieContainer();
        using var onFirst = first.CreateBrowser(jar);
        var client = OidcClient.Demo();
        var signIn = await onFirst.NavigateAsync(client.AuthorizeUrl());
        Assert.Equal(oldRsa, new JsonWebToken((await LogInAsync(first, http1)).IdToken).Kid);
        Assert.Equal(oldRsa, new JsonWebToken((await LogInAsync(second, http2)).IdToken).Kid);

        time.Advance(TimeSpan.FromSeconds(2));
        using var onSecond = second.CreateBrowser(jar);
        var back = await onSecond.SubmitAsync(signIn, new() { ["Input.Username"] = "demo.citizen", ["Input.Password"] = "Demo-Passw0rd!" });
        var crossed = await client.RedeemAsync(http1, client.CallbackParameters(back)["code"]);
        Assert.Equal(HttpStatusCode.OK, crossed.Status);
        Assert.Equal(newRsa, new JsonWebToken(crossed.IdToken).Kid);
        var fromFirst = await LogInAsync(first, http1);
        var fromSecond = await LogInAsync(second, http2);
        Assert.Equal(newRsa, new JsonWebToken(fromFirst.IdToken).Kid);
        Assert.Equal(newRsa, new JsonWebToken(fromSecond.IdToken).Kid);
        // Each instance takes the other's tokens.
        Assert.Equal(HttpStatusCode.OK, await UserInfoStatusAsync(http2, fromFirst.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await UserInfoStatusAsync(http1, fromSecond.AccessToken));
        Assert.Equal(HttpStatusCode.OK, (await OidcClient.Demo().RefreshAsync(http2, fromFirst.RefreshToken)).Status);
    }

    [Fact]
    public async Task ServiceCachingJwksForItsMaxAge_KeepsValidatingAcrossARotation()
    {
        var time = Clock();
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Postgres, time: time);
        using var http = hub.CreateApiClient();
        var service = new CachingService(http, time);
        await service.ValidateAsync((await LogInAsync(hub, http)).IdToken);

        // Rotated half an hour after the service fetched JWKS, with the default lead (a day).
        time.Advance(TimeSpan.FromMinutes(30));
        var rotated = await RotateAsync(hub, body: null);
        var newRsa = rotated.Single(k => k.Alg == "RS256" && k.Status == "next");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var step = TimeSpan.FromMinutes(30);
        for (var at = time.GetUtcNow(); at < newRsa.ActivatesAt + TimeSpan.FromHours(2); at += step)
        {
            time.Advance(step);
            var token = (await LogInAsync(hub, http)).IdToken;
            seen.Add(new JsonWebToken(token).Kid);
            await service.ValidateAsync(token);
        }
        Assert.Contains(newRsa.Kid, seen);
        Assert.Equal(2, seen.Count);
    }

    [Fact]
    public async Task ScheduledRotation_AfterRotationDays_PublishesOneNextKeyPerAlgorithm_OnceForTwoInstances()
    {
        var time = Clock();
        await using var first = await HubFactory.CreateAsync(HubDatabase.Postgres, new() { ["Hub:Keys:RotationDays"] = "30", ["Hub:Keys:PublishBeforeUseHours"] = "2" }, time);
        await using var second = new HubFactory(HubDatabase.Postgres, first.ConnectionString, new() { ["Hub:Keys:RotationDays"] = "30", ["Hub:Keys:PublishBeforeUseHours"] = "2" }, time);
        using var http = second.CreateApiClient();
        var created = await KeysAsync(first);
        Assert.Equal(3, created.Count);

        time.Advance(TimeSpan.FromDays(30) - TimeSpan.FromMinutes(1));
        await Task.WhenAll(Maintenance(first).RunOnceAsync(CancellationToken.None), Maintenance(second).RunOnceAsync(CancellationToken.None));
        Assert.Equal(3, (await KeysAsync(first)).Count);

        time.Advance(TimeSpan.FromMinutes(1));
        await Task.WhenAll(Maintenance(first).RunOnceAsync(CancellationToken.None), Maintenance(second).RunOnceAsync(CancellationToken.None));
        var keys = await KeysAsync(second);
        Assert.Equal(6, keys.Count);
        Assert.All(Algorithms, algorithm =>
        {
            var next = Assert.Single(keys, k => k.Alg == algorithm && k.Status == "next");
            Assert.Equal(time.GetUtcNow().AddHours(2), next.ActivatesAt);
        });
        Assert.Contains(keys.Single(k => k.Alg == "RS256" && k.Status == "next").Kid, await JwksKidsAsync(http));

        // A next key pending: no second rotation, however often the check runs.
        time.Advance(TimeSpan.FromMinutes(5));
        await Maintenance(first).RunOnceAsync(CancellationToken.None);
        Assert.Equal(6, (await KeysAsync(first)).Count);
    }

    [Fact]
    public async Task Rotation_OnSqlite_WithoutDelay_SignsWithTheNewKeyAtOnce()
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite);
        using var http = hub.CreateApiClient();
        var rotated = await RotateAsync(hub, new { activateAfterSeconds = 0 });
        var newRsa = Active(rotated, "RS256").Kid;
        Assert.Equal(3, rotated.Count(k => k.Status == "retiring"));
        var tokens = await LogInAsync(hub, http);
        Assert.Equal(newRsa, new JsonWebToken(tokens.IdToken).Kid);
        Assert.Equal(HttpStatusCode.OK, (await OidcClient.Demo().RefreshAsync(http, tokens.RefreshToken)).Status);
    }

    [Theory]
    [InlineData("Hub:Keys:RotationDays", "0")]
    [InlineData("Hub:Keys:RotationDays", "3651")]
    [InlineData("Hub:Keys:PublishBeforeUseHours", "0")]
    [InlineData("Hub:Keys:PublishBeforeUseHours", "721")]
    public async Task Start_WithAKeySettingOutOfRange_FailsNamingIt(string setting, string value)
    {
        await using var hub = await HubFactory.CreateAsync(HubDatabase.Sqlite, new() { [setting] = value });
        var failure = Assert.ThrowsAny<Exception>(() => hub.CreateApiClient());
        Assert.Contains(setting.Split(':')[^1], failure.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A clock on a whole second: PostgreSQL keeps microseconds, and times read back compare equal.</summary>
    private static FakeTimeProvider Clock() => new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    private static KeyMaintenance Maintenance(HubFactory hub) => hub.Services.GetRequiredService<KeyMaintenance>();

    internal static KeyView Active(IEnumerable<KeyView> keys, string algorithm) => Assert.Single(keys, k => k.Alg == algorithm && k.Status == "active");

    internal static async Task<List<KeyView>> KeysAsync(HubFactory hub)
    {
        using var admin = await hub.CreateAdminClientAsync();
        return (await admin.GetFromJsonAsync<List<KeyView>>("/api/admin/v1/keys"))!;
    }

    private static async Task<List<KeyView>> RotateAsync(HubFactory hub, object? body)
    {
        using var admin = await hub.CreateAdminClientAsync();
        using var response = body is null ? await admin.PostAsync("/api/admin/v1/keys/rotate", null) : await admin.PostAsJsonAsync("/api/admin/v1/keys/rotate", body);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<List<KeyView>>())!;
    }

    internal static async Task<List<string>> JwksKidsAsync(HttpClient http)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/.well-known/jwks"));
        return [.. document.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];
    }

    private static async Task<TokenResponse> LogInAsync(HubFactory hub, HttpClient http)
    {
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser))["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        return tokens;
    }

    private static async Task<HttpStatusCode> UserInfoStatusAsync(HttpClient http, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<bool> IsActiveAsync(HttpClient http, string token)
    {
        using var response = await OidcClient.Demo().PostAsync(http, "/connect/introspect", new() { ["token"] = token });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("active").GetBoolean();
    }

    /// <summary>The other instance hears of a change when the notification arrives: awaited for a few seconds.</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(50);
        }
        return true;
    }

    /// <summary>
    /// A service that keeps JWKS for the max-age the hub sends, never sooner refetched, and matches keys by kid only,
    /// as strict libraries do.
    /// </summary>
    private sealed class CachingService(HttpClient http, TimeProvider time)
    {
        private JsonWebKeySet? _keys;
        private DateTimeOffset _expires;

        public async Task ValidateAsync(string token)
        {
            if (_keys is null || time.GetUtcNow() >= _expires)
            {
                using var response = await http.GetAsync("/.well-known/jwks");
                _keys = new JsonWebKeySet(await response.Content.ReadAsStringAsync());
                _expires = time.GetUtcNow() + response.Headers.CacheControl!.MaxAge!.Value;
            }
            var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
            {
                IssuerSigningKeys = _keys.GetSigningKeys(),
                TryAllIssuerSigningKeys = false,
                ValidIssuer = HubFactory.Issuer,
                ValidAudience = OidcClient.DemoClientId,
                // The hub's clock is the fake one; the signature is the point here.
                ValidateLifetime = false,
            });
            Assert.True(result.IsValid, $"The service refused a token signed by {new JsonWebToken(token).Kid}: {result.Exception?.Message}");
        }
    }
}

/// <summary><c>/keys</c> of the admin API: what it lists, what it refuses, who may call it.</summary>
public sealed class KeysApiTests(PostgresHub hub) : IClassFixture<PostgresHub>
{
    [Fact]
    public async Task FreshHub_ListsOneActiveKeyPerAlgorithm_ThoseOfJwks()
    {
        var keys = await KeyRotationTests.KeysAsync(hub);
        Assert.Equal(["A256KW", "ES256", "RS256"], keys.Select(k => k.Alg).Order(StringComparer.Ordinal));
        Assert.All(keys, k =>
        {
            Assert.Equal("active", k.Status);
            Assert.Null(k.RetiresAt);
            Assert.True(k.ActivatesAt <= DateTimeOffset.UtcNow);
        });
        using var http = hub.CreateApiClient();
        var jwks = await KeyRotationTests.JwksKidsAsync(http);
        Assert.Equal(keys.Where(k => k.Alg != "A256KW").Select(k => k.Kid).Order(StringComparer.Ordinal), jwks.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("""{"activateAfterSeconds": -1}""")]
    [InlineData("""{"activateAfterSeconds": 2592001}""")]
    [InlineData("""{"activateAfterSeconds": 1.5}""")]
    [InlineData("""{"activateAfterSeconds": "soon"}""")]
    [InlineData("""{"activateAfterSeconds": 1e30}""")]
    public async Task Rotate_WithABadDelay_Is400NamingIt_AndRotatesNothing(string body)
    {
        using var admin = await hub.CreateAdminClientAsync();
        var before = await KeyRotationTests.KeysAsync(hub);
        using var response = await admin.PostAsync("/api/admin/v1/keys/rotate", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("activateAfterSeconds", out _), problem.ToString());
        Assert.Equal(before.Count, (await KeyRotationTests.KeysAsync(hub)).Count);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[1]")]
    [InlineData("""{"activateAfterSeconds": 60, "activateAfterSeconds": 61}""")]
    public async Task Rotate_WithAnUnreadableBody_Is400ProblemDetails(string body)
    {
        using var admin = await hub.CreateAdminClientAsync();
        using var response = await admin.PostAsync("/api/admin/v1/keys/rotate", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("GET", "/api/admin/v1/keys")]
    [InlineData("POST", "/api/admin/v1/keys/rotate")]
    public async Task Keys_WithoutATokenAre401_WithoutTheScope403(string method, string path)
    {
        using var http = hub.CreateApiClient();
        using (var anonymous = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        }
        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser))["code"]);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        using var person = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, person.StatusCode);
        Assert.Contains("insufficient_scope", person.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_DescribesTheKeysEndpoints()
    {
        using var http = hub.CreateApiClient();
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");
        Assert.True(paths.GetProperty("/api/admin/v1/keys").TryGetProperty("get", out _));
        var rotate = paths.GetProperty("/api/admin/v1/keys/rotate").GetProperty("post");
        Assert.True(rotate.GetProperty("responses").TryGetProperty("202", out _));
        Assert.True(rotate.GetProperty("responses").TryGetProperty("400", out _));
    }
}

/// <summary>One key as <c>GET /api/admin/v1/keys</c> shows it.</summary>
public sealed record KeyView(string Kid, string Alg, string Status, DateTimeOffset CreatedAt, DateTimeOffset ActivatesAt, DateTimeOffset? RetiresAt);
