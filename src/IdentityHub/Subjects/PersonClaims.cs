using System.Globalization;
using IdentityHub.Protocol;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Subjects;

/// <summary>The claims a person's record yields for a set of granted scopes, and nothing more.</summary>
internal static class PersonClaims
{
    public static Dictionary<string, object> For(Person person, IEnumerable<string> scopes)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal);
        var granted = scopes.ToHashSet(StringComparer.Ordinal);
        if (granted.Contains(Scopes.Profile))
        {
            claims[Claims.GivenName] = person.Pivot.GivenName;
            claims[Claims.FamilyName] = person.Pivot.FamilyName;
            if (person.PreferredUsername is { } usage)
            {
                claims[Claims.PreferredUsername] = usage;
            }
            claims[Claims.Gender] = person.Pivot.Gender == Gender.Female ? "female" : "male";
            claims[Claims.Birthdate] = person.Pivot.Birthdate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }
        if (granted.Contains(HubScopes.Birth))
        {
            if (person.Pivot.Birthplace is { } place)
            {
                claims[HubClaims.Birthplace] = place;
            }
            if (person.Pivot.Birthcountry is { } country)
            {
                claims[HubClaims.Birthcountry] = country;
            }
        }
        if (granted.Contains(Scopes.Email) && person.Email is { } email)
        {
            claims[Claims.Email] = email;
            claims[Claims.EmailVerified] = person.EmailVerified;
        }
        if (granted.Contains(Scopes.Phone) && person.PhoneNumber is { } phone)
        {
            claims[Claims.PhoneNumber] = phone;
            claims[Claims.PhoneNumberVerified] = person.PhoneNumberVerified;
        }
        return claims;
    }
}
