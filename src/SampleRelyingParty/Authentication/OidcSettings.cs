namespace SampleRelyingParty.Authentication;

/// <summary>
/// Configuration section <c>Oidc</c> (environment form <c>Oidc__Authority</c>, …). The defaults are the hub's
/// Development demo registration, so the sample runs with no configuration at all.
/// </summary>
internal sealed class OidcSettings
{
    public const string Section = "Oidc";

    public string Authority { get; set; } = "http://localhost:5080";
    public string ClientId { get; set; } = "sample-service";
    public string ClientSecret { get; set; } = "sample-service-secret";

    /// <summary>Space separated, as in the OAuth <c>scope</c> parameter.</summary>
    public string Scopes { get; set; } = "openid profile birth email";

    /// <summary>Defaults to whether <see cref="Authority"/> is https: the demo hub runs on plain http.</summary>
    public bool? RequireHttpsMetadata { get; set; }

    /// <summary>Sent as <c>acr_values</c> when set; otherwise the hub applies this service's registered minimum.</summary>
    public string? AcrValues { get; set; }

    /// <summary>
    /// The data provider whose records the service reads after login (the tax office of the demo), as its resource URI
    /// at the hub; empty for none. The login then asks for <see cref="DataScope"/> with <c>resource</c>, and redeems
    /// the code for an access token for that provider.
    /// </summary>
    public string DataResource { get; set; } = "http://localhost:5095";

    public string DataScope { get; set; } = "tax_income";

    /// <summary>Where the provider serves the record, called with that access token.</summary>
    public string DataUrl { get; set; } = "http://localhost:5095/declared-income";

    public bool ReadsData => !string.IsNullOrWhiteSpace(DataResource);
}
