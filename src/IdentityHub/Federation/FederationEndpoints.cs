using IdentityHub.Data;
using IdentityHub.Errors;
using IdentityHub.IdentitySources;
using IdentityHub.Login;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Client;
using OpenIddict.Client.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Federation;

/// <summary>
/// Sending a person to an upstream source (/federation/{id}) and taking them back (/signin/{id}); at logout, to the
/// source's end-session endpoint (/federation/{id}/logout) and back (/signout/{id}): Federation/README.md.
/// </summary>
internal static partial class FederationEndpoints
{
    internal const string JourneyItem = "hub_journey";
    private const string LogCategory = "IdentityHub.Federation";

    public static async Task<IResult> ChallengeAsync(string sourceId, string? journey, HttpContext http, HubDbContext db, AuthenticationStep step,
        UpstreamRegistrations upstream, OpenIddictClientService client, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var visit = await step.BeginAsync(http, journey, sourceId, IdentitySourceKind.Oidc, cancellationToken);
        if (visit.Pending is not { } pending)
        {
            return Results.Redirect(visit.Elsewhere!);
        }

        await upstream.EnsureCurrentAsync(db, cancellationToken);
        var properties = new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictClientAspNetCoreConstants.Properties.RegistrationId] = sourceId,
            [JourneyItem] = pending.JourneyId,
        })
        {
            RedirectUri = "/",
        };
        // The person re-authenticates at the source when the service demanded it (docs/integration.md, "Levels of assurance").
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
            await client.GetServerConfigurationByRegistrationIdAsync(sourceId, cancellationToken);
            // With pushed authorization requests, the challenge itself calls the source (ChallengeFailure).
            await http.ChallengeAsync(OpenIddictClientAspNetCoreDefaults.AuthenticationScheme, properties);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The person may pick another source, so the journey stays open.
            LogUnavailable(logs.CreateLogger(LogCategory), sourceId, exception);
            return Results.Redirect(AuthenticationStep.RetryUrl(pending, HubErrors.SourceUnavailable));
        }
        if (http.Items[ChallengeFailure.Item] is string reason)
        {
            LogRefusedChallenge(logs.CreateLogger(LogCategory), sourceId, LoggableText(reason));
            return Results.Redirect(AuthenticationStep.RetryUrl(pending, HubErrors.SourceUnavailable));
        }
        // OpenIddict has written the redirect to the source.
        return Results.Empty;
    }

    public static async Task<IResult> CallbackAsync(string sourceId, HttpContext http, AuthenticationStep step, OpenIddictClientService client, TimeProvider time,
        ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var logger = logs.CreateLogger(LogCategory);
        // Null when the token or userinfo request to the source failed or timed out.
        if (await AuthenticateCallbackAsync(http, logger, sourceId, cancellationToken) is not { } result)
        {
            return Results.Redirect(AuthenticationStep.ErrorUrl(HubErrors.SourceUnavailable));
        }

        // Only a callback carrying a valid, unused state token names a journey: a forged or replayed one ends here.
        var items = result.Properties?.Items;
        string? Item(string key) => items is not null && items.TryGetValue(key, out var value) ? value : null;
        string Reason() => LoggableText(Item(OpenIddictClientAspNetCoreConstants.Properties.Error) is { } code
            ? $"{code}: {Item(OpenIddictClientAspNetCoreConstants.Properties.ErrorDescription)}"
            : result.Failure?.Message ?? "no pending login journey for this state");
        var journeyId = Item(JourneyItem);
        var visit = journeyId is null || Item(OpenIddictClientAspNetCoreConstants.Properties.RegistrationId) != sourceId
            ? null
            : await step.ReturnAsync(http, journeyId, sourceId, IdentitySourceKind.Oidc, cancellationToken);
        if (visit is null)
        {
            // Forged and replayed callbacks end here, and so does a callback whose ID token could not be validated
            // (for instance signed with a key the source published after the hub last read its keys): say which.
            LogRefusedCallback(logger, sourceId, Reason());
            return Results.Redirect(AuthenticationStep.ErrorUrl(HubErrors.InvalidCallback));
        }
        if (visit.Pending is not { } pending)
        {
            return Results.Redirect(visit.Elsewhere!);
        }

        if (!result.Succeeded || result.Principal is null)
        {
            if (Item(OpenIddictClientAspNetCoreConstants.Properties.Error) == HubErrors.AccessDenied.OAuthError)
            {
                // The person cancelled at the source: back to the service at once, as they asked.
                return Results.Redirect(await step.CancelAsync(http, pending, cancellationToken));
            }
            LogRefusedCallback(logger, sourceId, Reason());
            return Results.Redirect(await step.FailAsync(http, pending, HubErrors.InvalidCallback, "The identity source did not authenticate the person.", cancellationToken));
        }

        var mapped = UpstreamIdentity.From(result.Principal, pending.Source, time.GetUtcNow());
        if (mapped.Identity is not { } identity)
        {
            return Results.Redirect(await step.FailAsync(http, pending, HubErrors.IncompleteIdentity,
                $"The identity source did not provide a complete identity (missing or invalid: {string.Join(", ", mapped.Missing)}).", cancellationToken));
        }
        var withLogout = identity with { UpstreamIdToken = await LogoutHintAsync(client, sourceId, result, cancellationToken) };
        return Results.Redirect(await step.CompleteAsync(http, pending, withLogout, cancellationToken));
    }

    /// <summary>
    /// The ID token the source has just issued, kept with the hub session only when the source advertises an
    /// end-session endpoint, the one use the hub has for it (docs/design.md, "Sessions").
    /// </summary>
    private static async Task<string?> LogoutHintAsync(OpenIddictClientService client, string sourceId, AuthenticateResult result, CancellationToken cancellationToken)
    {
        if (result.Properties?.GetTokenValue(OpenIddictClientAspNetCoreConstants.Tokens.BackchannelIdentityToken) is not { Length: > 0 } idToken)
        {
            return null;
        }
        try
        {
            // The discovery document was read for this very login: OpenIddict answers from its cache.
            var configuration = await client.GetServerConfigurationByRegistrationIdAsync(sourceId, cancellationToken);
            return configuration.EndSessionEndpoint is null ? null : idToken;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The login itself has succeeded; only the logout at the source will be missing.
            return null;
        }
    }

    /// <summary>
    /// The hub's end-session endpoint has ended a session this source opened (and queued its services' logouts): the
    /// browser goes to the source's end-session endpoint with the source's own ID token as <c>id_token_hint</c>, and
    /// {issuer}/signout/{id} as <c>post_logout_redirect_uri</c>. The hub's part is done already, so whatever stands in
    /// the way of the source's (a source that is down, disabled, or no longer has the endpoint) sends the browser
    /// straight on.
    /// </summary>
    public static async Task<IResult> LogoutAsync(string sourceId, string? ticket, HttpContext http, HubDbContext db, AuthenticationStep step,
        UpstreamRegistrations upstream, OpenIddictClientService client, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var logger = logs.CreateLogger(LogCategory);
        if (await step.TakeSourceLogoutAsync(http, ticket, sourceId, cancellationToken) is not { } logout)
        {
            LogRefusedLogout(logger, sourceId);
            return Results.Redirect(AuthenticationStep.ErrorUrl(HubErrors.InvalidRequest));
        }
        if (logout.IdTokenHint is not { } hint)
        {
            // The same ticket again (a reload): the source has been asked already.
            return Results.Redirect(logout.ReturnUrl);
        }

        try
        {
            await upstream.EnsureCurrentAsync(db, cancellationToken);
            var configuration = await client.GetServerConfigurationByRegistrationIdAsync(sourceId, cancellationToken);
            if (configuration.EndSessionEndpoint is null)
            {
                return Results.Redirect(logout.ReturnUrl);
            }
            // The way on travels in OpenIddict's state token (target_link_uri), stored in the hub's database and
            // bound to this browser: only the genuine answer of the source leads there (SignedOutAsync).
            await http.SignOutAsync(OpenIddictClientAspNetCoreDefaults.AuthenticationScheme, new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictClientAspNetCoreConstants.Properties.RegistrationId] = sourceId,
                [OpenIddictClientAspNetCoreConstants.Properties.IdentityTokenHint] = hint,
            })
            {
                RedirectUri = logout.ReturnUrl,
            });
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogUnavailable(logger, sourceId, exception);
            return Results.Redirect(logout.ReturnUrl);
        }
        // OpenIddict has written the redirect to the source.
        return Results.Empty;
    }

    /// <summary>OpenIddict's reading of a callback from a source; null (and logged) when it threw, the source being unreachable or slow.</summary>
    private static async Task<AuthenticateResult?> AuthenticateCallbackAsync(HttpContext http, ILogger logger, string sourceId, CancellationToken cancellationToken)
    {
        try
        {
            return await http.AuthenticateAsync(OpenIddictClientAspNetCoreDefaults.AuthenticationScheme);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogUnavailable(logger, sourceId, exception);
            return null;
        }
    }

    /// <summary>
    /// The source sends the browser back after its logout: OpenIddict checks the state (issued by the hub, unused,
    /// this browser's) and the browser goes where the hub would have sent it, the service's validated
    /// post_logout_redirect_uri with its state or the hub's page. Anything else gets the error page, never a redirect.
    /// </summary>
    public static async Task<IResult> SignedOutAsync(string sourceId, HttpContext http, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var logger = logs.CreateLogger(LogCategory);
        if (await AuthenticateCallbackAsync(http, logger, sourceId, cancellationToken) is not { } result)
        {
            return Results.Redirect(AuthenticationStep.ErrorUrl(HubErrors.InvalidCallback));
        }
        var items = result.Properties?.Items;
        if (!result.Succeeded || items is null || !items.TryGetValue(OpenIddictClientAspNetCoreConstants.Properties.RegistrationId, out var registration)
            || registration != sourceId || result.Properties!.RedirectUri is not { Length: > 0 } returnUrl)
        {
            var reason = items is not null && items.TryGetValue(OpenIddictClientAspNetCoreConstants.Properties.Error, out var code) && code is not null
                ? $"{code}: {(items.TryGetValue(OpenIddictClientAspNetCoreConstants.Properties.ErrorDescription, out var description) ? description : null)}"
                : result.Failure?.Message ?? "no pending logout for this state";
            LogRefusedCallback(logger, sourceId, LoggableText(reason));
            return Results.Redirect(AuthenticationStep.ErrorUrl(HubErrors.InvalidCallback));
        }
        return Results.Redirect(returnUrl);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Identity source {SourceId} could not be reached.")]
    private static partial void LogUnavailable(ILogger logger, string sourceId, Exception exception);

    /// <summary>An error and its description come from the callback's URL, anyone's to write: one bounded line.</summary>
    private static string LoggableText(string text)
    {
        var line = new string([.. text.Take(300).Select(c => char.IsControl(c) ? ' ' : c)]);
        return text.Length > 300 ? line + "…" : line;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Identity source {SourceId} refused the hub's authorization request: {Reason}")]
    private static partial void LogRefusedChallenge(ILogger logger, string sourceId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A logout at identity source {SourceId} was refused: the ticket is forged, expired, for another source or from another browser.")]
    private static partial void LogRefusedLogout(ILogger logger, string sourceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A callback from identity source {SourceId} was refused: {Reason}")]
    private static partial void LogRefusedCallback(ILogger logger, string sourceId, string reason);
}
