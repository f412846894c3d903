using IdentityHub.Data;
using IdentityHub.IdentitySources;
using IdentityHub.Login;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Client;
using OpenIddict.Client.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Federation;

/// <summary>Sending a person to an upstream source (/federation/{id}) and taking them back (/signin/{id}).</summary>
internal static partial class FederationEndpoints
{
    private const string JourneyItem = "hub_journey";

    public static async Task<IResult> ChallengeAsync(string sourceId, string? journey, HttpContext http, HubDbContext db, LoginJourneys journeys,
        SourceCatalog catalog, UpstreamRegistrations upstream, OpenIddictClientService client, ILogger<FederatedSignIn> logger, CancellationToken cancellationToken)
    {
        var pending = await journeys.FindPendingAsync(http, journey, cancellationToken);
        if (pending is null)
        {
            return Results.Redirect("/error/journey_expired");
        }
        var source = (await catalog.OfferedAsync(pending.AskedAcr, cancellationToken))
            .FirstOrDefault(s => s.Id == sourceId && s.Kind == IdentitySourceKind.Oidc);
        if (source is null)
        {
            return Results.Redirect($"/login/{Uri.EscapeDataString(pending.Id)}?notice=unknown_source");
        }

        await upstream.EnsureCurrentAsync(db, cancellationToken);
        var properties = new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictClientAspNetCoreConstants.Properties.RegistrationId] = source.Id,
            [JourneyItem] = pending.Id,
        })
        {
            RedirectUri = "/",
        };
        // The person re-authenticates at the source when the service demanded it (CONTRACT section 2).
        if (pending.ForceAuthentication)
        {
            properties.Parameters[Parameters.Prompt] = PromptValues.Login;
        }
        if (pending.MaxAge is { } maxAge)
        {
            properties.Parameters[Parameters.MaxAge] = maxAge;
        }
        if (pending.AskedAcr is { } asked)
        {
            properties.Parameters[Parameters.AcrValues] = asked;
        }

        try
        {
            // Read the source's discovery document first (OpenIddict caches it for the challenge): a source that
            // is down or slow gets a page of ours, not OpenIddict's plain-text error.
            await client.GetServerConfigurationByRegistrationIdAsync(source.Id, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The person may pick another source, so the journey stays open.
            LogUnavailable(logger, source.Id, exception);
            return Results.Redirect($"/error/source_unavailable?journey={Uri.EscapeDataString(pending.Id)}");
        }
        return Results.Challenge(properties, [OpenIddictClientAspNetCoreDefaults.AuthenticationScheme]);
    }

    public static async Task<IResult> CallbackAsync(string sourceId, HttpContext http, LoginJourneys journeys, FederatedSignIn signIn,
        ILogger<FederatedSignIn> logger, CancellationToken cancellationToken)
    {
        AuthenticateResult result;
        try
        {
            result = await http.AuthenticateAsync(OpenIddictClientAspNetCoreDefaults.AuthenticationScheme);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The token or userinfo request to the source failed or timed out.
            LogUnavailable(logger, sourceId, exception);
            return Results.Redirect("/error/source_unavailable");
        }

        // Only a callback carrying a valid, unused state token names a journey: a forged or replayed one ends here.
        var items = result.Properties?.Items;
        string? Item(string key) => items is not null && items.TryGetValue(key, out var value) ? value : null;
        string Reason() => LoggableText(Item(OpenIddictClientAspNetCoreConstants.Properties.Error) is { } code
            ? $"{code}: {Item(OpenIddictClientAspNetCoreConstants.Properties.ErrorDescription)}"
            : result.Failure?.Message ?? "no pending login journey for this state");
        var journeyId = Item(JourneyItem);
        var journey = journeyId is null ? null : await journeys.FindPendingAsync(http, journeyId, cancellationToken);
        if (journey is null || Item(OpenIddictClientAspNetCoreConstants.Properties.RegistrationId) != sourceId)
        {
            // Forged and replayed callbacks end here, and so does a callback whose ID token could not be validated
            // (for instance signed with a key the source published after the hub last read its keys): say which.
            LogRefusedCallback(logger, sourceId, Reason());
            return Results.Redirect("/error/invalid_callback");
        }

        if (!result.Succeeded || result.Principal is null)
        {
            var error = Item(OpenIddictClientAspNetCoreConstants.Properties.Error);
            if (error == Errors.AccessDenied)
            {
                // The person cancelled at the source: back to the service at once, as they asked.
                await journeys.FailAsync(journey, Errors.AccessDenied, "The person cancelled the login at the identity source.", cancellationToken);
                return Results.Redirect(LoginJourneys.ResumeUrl(journey));
            }
            LogRefusedCallback(logger, sourceId, Reason());
            await journeys.FailAsync(journey, Errors.AccessDenied, "The identity source did not authenticate the person.", cancellationToken);
            return Results.Redirect($"/error/invalid_callback?journey={Uri.EscapeDataString(journey.Id)}");
        }

        var outcome = await signIn.CompleteAsync(http, sourceId, journey, result.Principal, cancellationToken);
        return Results.Redirect(outcome.ErrorCode is null
            ? LoginJourneys.ResumeUrl(journey)
            : $"/error/{outcome.ErrorCode}?journey={Uri.EscapeDataString(journey.Id)}");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Identity source {SourceId} could not be reached.")]
    private static partial void LogUnavailable(ILogger logger, string sourceId, Exception exception);

    /// <summary>An error and its description come from the callback's URL, anyone's to write: one bounded line.</summary>
    private static string LoggableText(string text)
    {
        var line = new string([.. text.Take(300).Select(c => char.IsControl(c) ? ' ' : c)]);
        return text.Length > 300 ? line + "…" : line;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A callback from identity source {SourceId} was refused: {Reason}")]
    private static partial void LogRefusedCallback(ILogger logger, string sourceId, string reason);
}
