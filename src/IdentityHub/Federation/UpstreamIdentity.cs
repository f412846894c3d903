using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using IdentityHub.IdentitySources;
using IdentityHub.Subjects;

namespace IdentityHub.Federation;

/// <summary>
/// What an upstream source said about a person, turned into the hub's terms through the source's
/// <c>claimMappings</c> (hub claim → source claim; unmapped claims keep their standard names).
/// </summary>
public sealed record UpstreamIdentity(
    PivotIdentity? Pivot, IReadOnlyList<string> Missing, string? IdentityNumber, string? Email, bool EmailVerified,
    string? PhoneNumber, bool PhoneNumberVerified, string Acr, string Amr, DateTimeOffset? AuthenticatedAt)
{
    public static UpstreamIdentity From(ClaimsPrincipal principal, IdentitySource source)
    {
        string? Value(string hubClaim)
        {
            var name = source.ClaimMappings.TryGetValue(hubClaim, out var mapped) ? mapped : hubClaim;
            return principal.FindFirst(name)?.Value is { Length: > 0 } value ? value.Trim() : null;
        }

        var missing = new List<string>();
        string Required(string claim)
        {
            var value = Value(claim);
            if (value is null)
            {
                missing.Add(claim);
            }
            return value ?? "";
        }

        var givenName = Required("given_name");
        var familyName = Required("family_name");
        var birthdateText = Required("birthdate");
        var genderText = Required("gender");
        var birthplace = Required("birthplace");
        var birthcountry = Required("birthcountry");
        var birthdate = DateOnly.TryParseExact(birthdateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : (DateOnly?)null;
        if (birthdate is null && birthdateText.Length > 0)
        {
            missing.Add("birthdate");
        }
        Gender? gender = genderText.ToUpperInvariant() switch
        {
            "FEMALE" or "F" => Gender.Female,
            "MALE" or "M" => Gender.Male,
            _ => null,
        };
        if (gender is null && genderText.Length > 0)
        {
            missing.Add("gender");
        }
        var number = Value("identity_number");
        if (number is not null && (number.Length != 12 || !number.All(char.IsAsciiDigit)))
        {
            missing.Add("identity_number");
        }

        var pivot = missing.Count == 0
            ? new PivotIdentity { GivenName = givenName, FamilyName = familyName, Birthdate = birthdate!.Value, Gender = gender!.Value, Birthplace = birthplace, Birthcountry = birthcountry }
            : null;

        // The level reached is what the source asserted, never more than it is registered for.
        var asserted = principal.FindFirst("acr")?.Value;
        var acr = AssuranceLevels.Rank(asserted) < 0 ? AssuranceLevels.Low
            : AssuranceLevels.Rank(asserted) > AssuranceLevels.Rank(source.Acr) ? source.Acr
            : asserted!;

        var authTime = long.TryParse(principal.FindFirst("auth_time")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : (DateTimeOffset?)null;

        return new UpstreamIdentity(pivot, missing, missing.Contains("identity_number") ? null : number,
            Value("email"), IsTrue(Value("email_verified")), Value("phone_number"), IsTrue(Value("phone_number_verified")),
            acr, Methods(principal), authTime);
    }

    /// <summary>RFC 8176 values the source reported; "ext" (authenticated elsewhere) when it reported none.</summary>
    private static string Methods(ClaimsPrincipal principal)
    {
        var values = new List<string>();
        foreach (var claim in principal.FindAll("amr"))
        {
            if (claim.Value.StartsWith('['))
            {
                values.AddRange(JsonSerializer.Deserialize<string[]>(claim.Value) ?? []);
            }
            else
            {
                values.Add(claim.Value);
            }
        }
        var methods = values.Where(v => v.Length is > 0 and <= 16 && v.All(char.IsAsciiLetterOrDigit)).Distinct().Take(5).ToList();
        return methods.Count == 0 ? "ext" : string.Join(' ', methods);
    }

    private static bool IsTrue(string? value) => string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
}
