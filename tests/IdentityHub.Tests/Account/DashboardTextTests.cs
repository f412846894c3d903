using System.Globalization;
using System.Resources;
using IdentityHub.Subjects;

namespace IdentityHub.Tests.Account;

/// <summary>The dashboard names every claim and level in plain words, in each of the hub's languages.</summary>
public sealed class DashboardTextTests
{
    private static readonly ResourceManager Resources = new("IdentityHub.Resources.SharedResource", typeof(SharedResource).Assembly);

    public static TheoryData<string> Languages => ["vi", "en", "fr"];

    [Theory]
    [MemberData(nameof(Languages))]
    public void EveryPersonalClaimAndLevel_HasWordsInEachLanguage(string language)
    {
        // Vietnamese is the neutral resources' language (SharedResource.resx); the others have their own file.
        var culture = language == "vi" ? CultureInfo.InvariantCulture : CultureInfo.GetCultureInfo(language);
        var keys = ScopesAndClaims.PersonalClaims.Select(c => "Claim." + c).Concat(AssuranceLevels.All.Select(l => "Level." + l)).ToList();
        var missing = keys.Where(key => string.IsNullOrWhiteSpace(Resources.GetResourceSet(culture, createIfNotExists: true, tryParents: false)?.GetString(key))).ToList();

        Assert.True(missing.Count == 0, $"{language} lacks: {string.Join(", ", missing)}");
    }

    [Fact]
    public void PersonalClaims_AreThePersonsAndTheEnterprises_NotTheLoginsOwn()
    {
        IReadOnlySet<string> personal = ScopesAndClaims.PersonalClaims;
        Assert.Contains("given_name", personal);
        Assert.Contains("identity_number", personal);
        Assert.Contains("enterprise_name", personal);
        foreach (var own in new[] { "sub", "acr", "amr", "auth_time", "sid", "idp_id" })
        {
            Assert.DoesNotContain(own, personal);
        }
    }
}
