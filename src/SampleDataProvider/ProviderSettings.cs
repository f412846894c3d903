namespace SampleDataProvider;

/// <summary>
/// Configuration section <c>Hub</c> (environment form <c>Hub__Authority</c>, …). The defaults are the hub's Development
/// demo registration of the tax office, so the sample runs with no configuration at all.
/// </summary>
internal sealed class ProviderSettings
{
    public const string Section = "Hub";

    public string Authority { get; set; } = "http://localhost:5080";

    /// <summary>The provider's credentials at the hub, for introspection only.</summary>
    public string ClientId { get; set; } = "tax-office";
    public string ClientSecret { get; set; } = "tax-office-secret";

    /// <summary>This API's resource URI as registered at the hub: the audience every token it accepts must have.</summary>
    public string Resource { get; set; } = "http://localhost:5095";

    /// <summary>The data scope that lets a service read a declaration.</summary>
    public string Scope { get; set; } = "tax_income";
}

/// <summary>One person's tax declaration, keyed in <c>Records</c> by the identifier the hub gives this provider.</summary>
internal sealed record Declaration(int Year, long DeclaredIncome, string Currency);
