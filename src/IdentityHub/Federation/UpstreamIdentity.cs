using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using IdentityHub.IdentitySources;
using IdentityHub.Login;
using IdentityHub.Subjects;

namespace IdentityHub.Federation;

/// <summary>
/// What an upstream source said about a person, turned into the hub's terms through the source's
/// <c>claimMappings</c> (hub claim → source claim; unmapped claims keep their standard names): the identity handed to
/// the journey, or the claims that were missing or invalid.
/// </summary>
public sealed record UpstreamIdentity(AuthenticatedIdentity? Identity, IReadOnlyList<string> Missing)
{
    /// <param name="now">When the callback arrived: the authentication time when the source gives none.</param>
    public static UpstreamIdentity From(ClaimsPrincipal principal, IdentitySource source, DateTimeOffset now)
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
        var number = Value(HubClaims.IdentityNumber);
        if (number is not null && !Identifiers.IsIdentityNumber(number))
        {
            missing.Add(HubClaims.IdentityNumber);
        }
        if (missing.Count > 0)
        {
            return new UpstreamIdentity(null, missing);
        }

        // The level reached is what the source asserted, never more than it is registered for.
        var asserted = principal.FindFirst("acr")?.Value;
        var acr = AssuranceLevels.Rank(asserted) < 0 ? AssuranceLevels.Low
            : AssuranceLevels.Rank(asserted) > AssuranceLevels.Rank(source.Acr) ? source.Acr
            : asserted!;
        var authenticatedAt = long.TryParse(principal.FindFirst("auth_time")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : now;

        var pivot = new PivotIdentity { GivenName = givenName, FamilyName = familyName, Birthdate = birthdate!.Value, Gender = gender!.Value, Birthplace = birthplace, Birthcountry = birthcountry };
        var contact = new ContactDetails(Value("email"), IsTrue(Value("email_verified")), Value("phone_number"), IsTrue(Value("phone_number_verified")),
            Address(Value("address")));
        return new UpstreamIdentity(
            new AuthenticatedIdentity(source.Id, acr, Methods(principal), authenticatedAt, pivot, number, contact, Enterprises(source, Value)),
            []);
    }

    /// <summary>RFC 8176 values the source reported; "ext" (authenticated elsewhere) when it reported none.</summary>
    private static List<string> Methods(ClaimsPrincipal principal)
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
        return methods.Count == 0 ? ["ext"] : methods;
    }

    /// <summary>
    /// A representation the source asserts, trusted only from a source registered for enterprises: a source for
    /// individuals cannot make a person a company's representative. The tax code must be well formed (10 digits, or
    /// 10 digits, '-' and 3 for a dependent unit); otherwise the assertion is ignored.
    /// </summary>
    private static List<EnterpriseAssertion> Enterprises(IdentitySource source, Func<string, string?> value)
    {
        if (source.Subjects == SourceSubjects.Individuals || value(HubClaims.EnterpriseId) is not { } id || !Identifiers.IsTaxCode(id))
        {
            return [];
        }
        return [new EnterpriseAssertion(id, value(HubClaims.EnterpriseName), value(HubClaims.EnterpriseRole))];
    }

    /// <summary>
    /// The source's <c>address</c> claim, a JSON object of the OpenID Connect members (a source may add others, such as
    /// <c>formatted</c>, which are left out). One that is not such an object is ignored: an address does not identify the
    /// person, and the login goes on without it.
    /// </summary>
    private static PostalAddress? Address(string? json)
    {
        if (json is null)
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            return PostalAddress.Read(document.RootElement, strict: false, []);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsTrue(string? value) => string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
}
