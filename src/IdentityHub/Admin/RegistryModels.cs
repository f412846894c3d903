using System.Globalization;
using System.Text.Json;
using IdentityHub.Subjects;

namespace IdentityHub.Admin;

/// <summary>A person and their registry account as the admin API receives them. Fields are loose on purpose: validation names each bad one.</summary>
public sealed record PersonRequest : IAuditedRequest
{
    string? IAuditedRequest.AuditedId => IdentityNumber;

    /// <summary>12-digit national personal identification number.</summary>
    public string? IdentityNumber { get; init; }

    public string? GivenName { get; init; }
    public string? FamilyName { get; init; }

    /// <summary><c>YYYY-MM-DD</c>.</summary>
    public string? Birthdate { get; init; }

    /// <summary><c>female</c> or <c>male</c>.</summary>
    public string? Gender { get; init; }

    /// <summary>Official code of the place of birth (up to 16 letters or digits).</summary>
    public string? Birthplace { get; init; }

    /// <summary>Official code of the country of birth (up to 16 letters or digits).</summary>
    public string? Birthcountry { get; init; }

    public string? Email { get; init; }

    /// <summary>E.164, such as <c>+84901234567</c>.</summary>
    public string? PhoneNumber { get; init; }

    /// <summary>
    /// OpenID Connect structured address: an object with <c>street_address</c>, <c>locality</c>, <c>region</c>,
    /// <c>postal_code</c> and/or <c>country</c> (strings). Read as raw JSON so that each bad member can be named.
    /// </summary>
    public JsonElement? Address { get; init; }

    /// <summary>3 to 100 letters, digits, '.', '_' or '-'; stored lower-case.</summary>
    public string? Username { get; init; }

    /// <summary>At least 12 characters, not a common password, not containing the username or identity number.</summary>
    public string? Password { get; init; }

    /// <summary>Keeps the password, and the personal data, out of any log or message that prints the request.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Username = {Username}");
        return true;
    }
}

/// <summary>A person as stored. Never carries the password or its hash.</summary>
public sealed record PersonResponse
{
    public required string IdentityNumber { get; init; }
    public required string GivenName { get; init; }
    public required string FamilyName { get; init; }
    public required DateOnly Birthdate { get; init; }
    public required string Gender { get; init; }
    public string? Birthplace { get; init; }
    public string? Birthcountry { get; init; }
    public string? Email { get; init; }
    public string? PhoneNumber { get; init; }

    /// <summary>OpenID Connect structured address, with the members that have a value; null when none is known.</summary>
    public PostalAddress? Address { get; init; }

    /// <summary>The registry sign-in name; null for a person known only through another identity source.</summary>
    public string? Username { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}

public sealed record EnterpriseRequest : IAuditedRequest
{
    string? IAuditedRequest.AuditedId => EnterpriseId;

    /// <summary>Tax code: 10 digits, or 10 digits, '-' and 3 digits for a branch.</summary>
    public string? EnterpriseId { get; init; }

    public string? Name { get; init; }
}

public sealed record EnterpriseResponse
{
    public required string EnterpriseId { get; init; }
    public required string Name { get; init; }
    public required IReadOnlyList<RepresentativeResponse> Representatives { get; init; }
}

public sealed record RepresentativeRequest : IAuditedRequest
{
    string? IAuditedRequest.AuditedId => IdentityNumber;

    /// <summary>The identity number of a person already in the registry.</summary>
    public string? IdentityNumber { get; init; }

    /// <summary>The legal capacity in which they act, such as "Giám đốc".</summary>
    public string? Role { get; init; }
}

public sealed record RepresentativeResponse
{
    public string? IdentityNumber { get; init; }
    public required string GivenName { get; init; }
    public required string FamilyName { get; init; }
    public required string Role { get; init; }
}
