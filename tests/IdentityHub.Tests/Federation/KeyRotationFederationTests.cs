using System.Net;
using System.Net.Http.Json;
using IdentityHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Client;

namespace IdentityHub.Tests.Federation;

/// <summary>
/// The upstream client's state tokens are protected with the hub's keys: a login that went to a source before a rotation
/// comes back after it and is read with the previous keys (docs/design.md, "Keys"); the next one uses the new keys.
/// </summary>
public sealed class KeyRotationFederationTests(FederationFixture fixture) : IClassFixture<FederationFixture>
{
    [Fact]
    public async Task LoginAtASource_SpanningARotation_ComesBackAndLogsIn_AndTheNextUsesTheNewKeys()
    {
        var client = OidcClient.Demo();
        using var browser = new LiveBrowser();
        var bank = await browser.NavigateAsync(fixture.HubUrl + client.AuthorizeUrl(extra: new() { ["idp_hint"] = "mock-bank" }));
        Assert.StartsWith(fixture.Bank.Url, bank.Url, StringComparison.Ordinal);

        // Rotated while the person is at the source, the new keys active at once.
        string newRsa;
        using (var admin = await fixture.AdminAsync())
        {
            using var rotated = await admin.PostAsJsonAsync("/api/admin/v1/keys/rotate", new { activateAfterSeconds = 0 });
            Assert.Equal(HttpStatusCode.Accepted, rotated.StatusCode);
            var keys = (await rotated.Content.ReadFromJsonAsync<List<Protocol.KeyView>>())!;
            Assert.Equal(3, keys.Count(k => k.Status == "retiring"));
            newRsa = keys.Single(k => k.Alg == "RS256" && k.Status == "active").Kid;
            // The client follows the server's keys: both symmetric keys, so it reads a state token of either.
            var upstream = fixture.Hub.Services.GetRequiredService<IOptionsMonitor<OpenIddictClientOptions>>().CurrentValue;
            Assert.Equal(keys.Where(k => k.Alg == "A256KW").Select(k => k.Kid).Order(StringComparer.Ordinal),
                upstream.EncryptionCredentials.Select(c => c.Key.KeyId).Order(StringComparer.Ordinal));
            Assert.Equal(keys.Where(k => k.Alg == "ES256").Select(k => k.Kid).Order(StringComparer.Ordinal),
                upstream.SigningCredentials.Select(c => c.Key.KeyId).Order(StringComparer.Ordinal));
        }

        var back = await browser.SubmitAsync(bank, new() { ["person"] = "an.nguyen", ["decision"] = "signin" },
            stopAt: l => l.StartsWith(client.RedirectUri, StringComparison.Ordinal));
        Assert.Equal(newRsa, (await RedeemAsync(client, client.CallbackParameters(back)["code"])).Kid);

        using var again = new LiveBrowser();
        var next = OidcClient.Demo();
        var page = await again.NavigateAsync(fixture.HubUrl + next.AuthorizeUrl(extra: new() { ["idp_hint"] = "mock-bank" }));
        var returned = await again.SubmitAsync(page, new() { ["person"] = "an.nguyen", ["decision"] = "signin" },
            stopAt: l => l.StartsWith(next.RedirectUri, StringComparison.Ordinal));
        Assert.Equal(newRsa, (await RedeemAsync(next, next.CallbackParameters(returned)["code"])).Kid);
    }

    private async Task<JsonWebToken> RedeemAsync(OidcClient client, string code)
    {
        using var http = fixture.Api();
        var tokens = await client.RedeemAsync(http, code);
        Assert.True(tokens.Status == HttpStatusCode.OK, tokens.Body.ToString());
        return tokens.IdTokenJwt;
    }
}
