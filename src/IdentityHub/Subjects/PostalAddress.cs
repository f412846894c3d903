using System.Text.Json;
using System.Text.Json.Serialization;

namespace IdentityHub.Subjects;

/// <summary>
/// Where a person lives, as the OpenID Connect <c>address</c> claim structures it (docs/integration.md, "Scopes and
/// claims"): the same member names in the claim, in the admin API and from a source.
/// </summary>
public sealed class PostalAddress
{
    public const string StreetAddressMember = "street_address";
    public const string LocalityMember = "locality";
    public const string RegionMember = "region";
    public const string PostalCodeMember = "postal_code";
    public const string CountryMember = "country";

    /// <summary>The members the hub keeps, with the longest value each may have.</summary>
    public static IReadOnlyList<(string Name, int MaxLength)> Members { get; } =
        [(StreetAddressMember, 500), (LocalityMember, 200), (RegionMember, 200), (PostalCodeMember, 32), (CountryMember, 100)];

    /// <summary>House number, street and any further lines, separated by line feeds.</summary>
    [JsonPropertyName(StreetAddressMember)]
    public string? StreetAddress { get; set; }

    /// <summary>City, town or commune.</summary>
    [JsonPropertyName(LocalityMember)]
    public string? Locality { get; set; }

    /// <summary>Province or centrally run city.</summary>
    [JsonPropertyName(RegionMember)]
    public string? Region { get; set; }

    [JsonPropertyName(PostalCodeMember)]
    public string? PostalCode { get; set; }

    /// <summary>Country name or ISO 3166 code, as given.</summary>
    [JsonPropertyName(CountryMember)]
    public string? Country { get; set; }

    /// <summary>The claim's value: a JSON object with the members that have a value.</summary>
    public JsonElement ToClaimValue() => JsonSerializer.SerializeToElement(this, ClaimJson);

    private static readonly JsonSerializerOptions ClaimJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>
    /// Reads an address object. <paramref name="problems"/> receives (member, message) for each thing wrong, the member
    /// null when the value as a whole is wrong; the address is returned only when there is none.
    /// </summary>
    /// <param name="strict">Refuse members the hub does not keep (an operator's typing); a source may send others, such as <c>formatted</c>, which are left out.</param>
    public static PostalAddress? Read(JsonElement json, bool strict, List<(string? Member, string Message)> problems)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            problems.Add((null, "Must be an object with street_address, locality, region, postal_code and/or country."));
            return null;
        }
        var before = problems.Count;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in json.EnumerateObject())
        {
            var known = Members.FirstOrDefault(m => m.Name == member.Name);
            if (known.Name is null)
            {
                if (strict)
                {
                    problems.Add((member.Name, "Not a member of an address: use street_address, locality, region, postal_code or country."));
                }
                continue;
            }
            if (member.Value.ValueKind is JsonValueKind.Null)
            {
                continue;
            }
            var value = member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString()!.Trim() : null;
            if (value is null)
            {
                problems.Add((member.Name, "Must be a string."));
            }
            else if (value.Length > known.MaxLength)
            {
                problems.Add((member.Name, $"At most {known.MaxLength} characters."));
            }
            // Line feeds separate the lines of a street address (OpenID Connect Core 5.1.1); nothing else invisible is kept.
            else if (value.Any(c => char.IsControl(c) && !(c == '\n' && member.Name == StreetAddressMember)))
            {
                problems.Add((member.Name, "Must not contain control characters."));
            }
            else if (value.Length > 0)
            {
                values[member.Name] = value;
            }
        }
        if (problems.Count == before && values.Count == 0)
        {
            problems.Add((null, "An address needs at least one of street_address, locality, region, postal_code and country; leave it out otherwise."));
        }
        if (problems.Count > before)
        {
            return null;
        }
        return new PostalAddress
        {
            StreetAddress = values.GetValueOrDefault(StreetAddressMember),
            Locality = values.GetValueOrDefault(LocalityMember),
            Region = values.GetValueOrDefault(RegionMember),
            PostalCode = values.GetValueOrDefault(PostalCodeMember),
            Country = values.GetValueOrDefault(CountryMember),
        };
    }
}
