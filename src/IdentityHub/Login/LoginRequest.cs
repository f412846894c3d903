using IdentityHub.Errors;
using IdentityHub.Sessions;

namespace IdentityHub.Login;

/// <summary>
/// What the authorization endpoint passes on once OpenIddict has validated the request: everything the journey needs
/// to decide how the person logs in, and nothing of the protocol.
/// </summary>
/// <param name="ClientId">The service asking.</param>
/// <param name="AskedAcr">The level asked (<c>acr_values</c>, the <c>claims</c> parameter, raised to the service's minimum); null when none.</param>
/// <param name="PromptNone"><c>prompt=none</c>: answer without showing the person anything.</param>
/// <param name="ForceAuthentication"><c>prompt=login</c>: the person authenticates again, at the hub and at the source.</param>
/// <param name="MaxAge"><c>max_age</c> in seconds.</param>
/// <param name="IdpHint"><c>idp_hint</c>: the source the service would like the person to use.</param>
/// <param name="UiLocales"><c>ui_locales</c>: the languages of the hub's pages, in order of preference.</param>
/// <param name="LoginHint"><c>login_hint</c>: who the service believes is signing in, for a source's page to fill in.</param>
/// <param name="ResumedJourney">The journey the browser comes back from (the request's <see cref="LoginJourneys.ResumeParameter"/>), if any.</param>
/// <param name="Query">The request's parameters, to resume it when the journey ends.</param>
/// <param name="ConsentItems">
/// What the service will receive, for the person to agree to (claim names, <c>offline_access</c>); null when the
/// service is registered <c>consent: implicit</c> and no agreement is asked.
/// </param>
/// <param name="PromptConsent"><c>prompt=consent</c>: the person agrees again, even to what they agreed to before.</param>
/// <param name="AsksEnterprise">The service asks for <c>enterprise</c> (and is allowed it): the person says whom they act for.</param>
/// <param name="EnterpriseOnly">The service serves only people acting for an enterprise.</param>
public sealed record LoginRequest(
    string ClientId,
    string? AskedAcr,
    bool PromptNone,
    bool ForceAuthentication,
    long? MaxAge,
    string? IdpHint,
    string? UiLocales,
    string? LoginHint,
    string? ResumedJourney,
    string Query,
    IReadOnlyList<string>? ConsentItems = null,
    bool PromptConsent = false,
    bool AsksEnterprise = false,
    bool EnterpriseOnly = false);

/// <summary>What the authorization endpoint does with a request: sign the person in, send the browser on, or refuse.</summary>
public abstract record LoginDecision
{
    private LoginDecision()
    {
    }

    /// <summary>
    /// The person is authenticated well enough: issue the code for this session, acting for
    /// <paramref name="ActingFor"/> (null: as an individual, or the service did not ask).
    /// </summary>
    public sealed record SignIn(HubSession Session, Enterprises.ActingFor? ActingFor = null) : LoginDecision;

    /// <summary>The person has a step to go through first (the chooser, a source's page).</summary>
    public sealed record Redirect(string Url) : LoginDecision;

    /// <summary>The login ends here: the service receives <see cref="HubError.OAuthError"/> with the description.</summary>
    public sealed record Refuse(HubError Error, string Description) : LoginDecision;
}
