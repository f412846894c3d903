using System.Security.Claims;
using IdentityHub.Federation;
using IdentityHub.IdentitySources;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IdentityHub.Tests.Federation;

/// <summary>A source's <c>address</c> claim, read through the source's claim mappings like every other claim.</summary>
public sealed class UpstreamAddressTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void AddressObject_UnderTheMappedName_BecomesThePersonsAddress()
    {
        var source = Source(new Dictionary<string, string> { ["address"] = "postal_address" });
        var principal = Principal(new Claim("postal_address", """{"street_address": "9 Pasteur", "locality": "Quận 3", "formatted": "9 Pasteur, Quận 3"}""", JsonClaimValueTypes.Json));

        var identity = UpstreamIdentity.From(principal, source, Now).Identity;

        Assert.NotNull(identity);
        Assert.Equal("9 Pasteur", identity.Contact.Address?.StreetAddress);
        Assert.Equal("Quận 3", identity.Contact.Address?.Locality);
    }

    [Theory]
    [InlineData("Quận 3, Thành phố Hồ Chí Minh")]
    [InlineData("""["9 Pasteur"]""")]
    [InlineData("""{"locality": 3}""")]
    [InlineData("""{"formatted": "9 Pasteur"}""")]
    public void AddressThatIsNotAnOidcAddressObject_IsLeftOut_AndTheLoginGoesOn(string value)
    {
        var principal = Principal(new Claim("address", value));

        var result = UpstreamIdentity.From(principal, Source(), Now);

        Assert.Empty(result.Missing);
        Assert.Null(result.Identity!.Contact.Address);
    }

    private static IdentitySource Source(Dictionary<string, string>? mappings = null) => new()
    {
        Id = "bank",
        DisplayName = "Bank",
        Kind = IdentitySourceKind.Oidc,
        Acr = "eidas2",
        ClaimMappings = mappings ?? [],
    };

    private static ClaimsPrincipal Principal(params Claim[] extra) => new(new ClaimsIdentity(
    [
        new Claim("given_name", "Khoa"), new Claim("family_name", "Phạm"), new Claim("birthdate", "1990-01-15"),
        new Claim("gender", "male"), new Claim("birthplace", "79001"), new Claim("birthcountry", "VN"), .. extra,
    ], "upstream"));
}
