using System.Security.Cryptography;
using IdentityHub.Subjects;
using IdentityHub.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;

namespace IdentityHub.Tests.Subjects;

public sealed class PairwiseSubjectsTests
{
    private static readonly PairwiseSubjects Subjects = new(new PairwiseKey(RandomNumberGenerator.GetBytes(32)));

    [Fact]
    public void Compute_SamePersonAndSector_IsStableAndCaseInsensitiveInTheSector()
    {
        var person = Guid.NewGuid();
        Assert.Equal(Subjects.Compute("tax.gov.vn", person), Subjects.Compute("TAX.gov.vn", person));
    }

    [Fact]
    public void Compute_OtherSectorOrPersonOrKey_GivesUnrelatedValues()
    {
        var person = Guid.NewGuid();
        var reference = Subjects.Compute("tax.gov.vn", person);
        Assert.NotEqual(reference, Subjects.Compute("health.gov.vn", person));
        Assert.NotEqual(reference, Subjects.Compute("tax.gov.vn", Guid.NewGuid()));
        Assert.NotEqual(reference, new PairwiseSubjects(new PairwiseKey(RandomNumberGenerator.GetBytes(32))).Compute("tax.gov.vn", person));
        Assert.DoesNotContain(person.ToString("N"), reference, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Two services of different sectors cannot link a person; two services of one sector can.</summary>
public sealed class PairwiseSubjectFlowTests(SqliteHub hub) : IClassFixture<SqliteHub>
{
    [Fact]
    public async Task Login_AtServicesOfTwoSectors_GivesTwoSubjectsAndOneSectorGivesOne()
    {
        var health = await RegisterAsync("health.gov.vn");
        var healthToo = await RegisterAsync("health.gov.vn");
        var tax = await RegisterAsync("tax.gov.vn");

        var healthSub = await SubjectAsync(health);
        var healthTooSub = await SubjectAsync(healthToo);
        var taxSub = await SubjectAsync(tax);
        var demoSub = await SubjectAsync(OidcClient.Demo());

        Assert.Equal(healthSub, healthTooSub);
        Assert.NotEqual(healthSub, taxSub);
        Assert.NotEqual(healthSub, demoSub);
        Assert.NotEqual(taxSub, demoSub);
    }

    [Fact]
    public async Task SingleSignOn_ToAServiceOfAnotherSector_NeedsNoPassword_AndGivesAnotherSubjectInTheSameSession()
    {
        var tax = await RegisterAsync("tax.gov.vn");
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var demo = OidcClient.Demo();
        var first = await demo.RedeemAsync(http, (await demo.LoginAsync(browser, url: demo.AuthorizeUrl("openid")))["code"]);

        // One password entry: the second service's request goes straight back to it with a code.
        var silent = await browser.NavigateAsync(tax.AuthorizeUrl("openid"));
        var second = await tax.RedeemAsync(http, tax.CallbackParameters(silent)["code"]);

        Assert.NotEqual(first.IdTokenJwt.Subject, second.IdTokenJwt.Subject);
        Assert.Equal(first.IdTokenJwt.GetClaim("sid").Value, second.IdTokenJwt.GetClaim("sid").Value);
        Assert.Equal(first.IdTokenJwt.GetClaim("auth_time").Value, second.IdTokenJwt.GetClaim("auth_time").Value);
    }

    private async Task<string> SubjectAsync(OidcClient client)
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser, url: client.AuthorizeUrl("openid")))["code"]);
        return new JsonWebToken(tokens.IdToken).Subject;
    }

    private async Task<OidcClient> RegisterAsync(string sector)
    {
        var clientId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var redirect = $"https://{sector}/{clientId}/callback";
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = "secret-" + clientId + "-long-enough",
            ClientType = OpenIddictConstants.ClientTypes.Confidential,
            RedirectUris = { new Uri(redirect) },
        };
        descriptor.Permissions.UnionWith(["ept:authorization", "ept:token", "gt:authorization_code", "rst:code"]);
        await hub.RegisterClientAsync(descriptor, sector);
        return new OidcClient(clientId, descriptor.ClientSecret, redirect);
    }
}
