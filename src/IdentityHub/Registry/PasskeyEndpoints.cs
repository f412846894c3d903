using System.Text.Json;
using System.Text.Json.Nodes;
using Fido2NetLib;
using IdentityHub.IdentitySources;
using IdentityHub.Login;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;

namespace IdentityHub.Registry;

/// <summary>
/// The JSON side of passkeys, called by <c>wwwroot/js/passkeys.js</c>: each ceremony is a pair of POSTs, the options
/// then the browser's answer. Every request carries the page's antiforgery token in a header; every refusal is a
/// problem document (RFC 9457) with a stable <c>code</c> the script turns into a message in the page's language, and a
/// <c>redirect</c> when the browser belongs elsewhere (the journey ended, the session expired).
/// </summary>
internal static class PasskeyEndpoints
{
    // As the admin API: a property given twice is refused rather than resolved by whichever value the parser keeps.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { AllowDuplicateProperties = false };

    public static void Map(WebApplication app)
    {
        var group = app.MapGroup("/registry/passkeys").RequireRateLimiting(RegistryRateLimits.PolicyName).ExcludeFromDescription()
            .AddEndpointFilter(async (context, next) =>
                await RefuseForgedAsync(context.HttpContext, context.HttpContext.RequestServices.GetRequiredService<IAntiforgery>()) ?? await next(context));
        group.MapPost("/signin/options", SignInOptionsAsync);
        group.MapPost("/signin", SignInAsync);
        group.MapPost("/second-factor/options", SecondFactorOptionsAsync);
        group.MapPost("/second-factor", SecondFactorAsync);
        group.MapPost("/registration/options", RegistrationOptionsAsync);
        group.MapPost("/registration", RegistrationAsync);
    }

    private static async Task<IResult> SignInOptionsAsync(HttpContext http, string? journey, AuthenticationStep step, Passkeys passkeys,
        CancellationToken cancellationToken)
    {
        var visit = await step.BeginAsync(http, journey, IdentitySource.RegistryId, IdentitySourceKind.Registry, cancellationToken);
        if (visit.Pending is not { } pending)
        {
            return Elsewhere(http, visit.Elsewhere!);
        }
        return Options(await passkeys.BeginAssertionAsync(pending.JourneyId, null, cancellationToken));
    }

    private static async Task<IResult> SignInAsync(HttpContext http, string? journey, AuthenticationStep step, Passkeys passkeys, RegistryLogin registry,
        CancellationToken cancellationToken)
    {
        if (await ReadAsync<AssertionAnswer>(http, cancellationToken) is not { Credential.Response: not null } answer)
        {
            return Malformed();
        }
        var visit = await step.BeginAsync(http, journey, IdentitySource.RegistryId, IdentitySourceKind.Registry, cancellationToken);
        if (visit.Pending is not { } pending)
        {
            return Elsewhere(http, visit.Elsewhere!);
        }
        var outcome = await passkeys.FinishAssertionAsync(pending.JourneyId, null, answer.Ceremony, answer.Credential, cancellationToken);
        if (outcome.PersonId is not { } personId)
        {
            return Failure(outcome.Failure);
        }
        // A passkey cannot be guessed, so the password lock-out does not stand in its way (docs/design.md, "Passkeys").
        return Redirect(http, await registry.CompleteWithPasskeyAsync(http, pending, personId, cancellationToken));
    }

    private static async Task<IResult> SecondFactorOptionsAsync(HttpContext http, string? journey, RegistryLogin registry, Passkeys passkeys,
        CancellationToken cancellationToken)
    {
        var (pending, factor, elsewhere) = await FindSecondFactorAsync(http, journey, registry, cancellationToken);
        if (elsewhere is not null)
        {
            return elsewhere;
        }
        return Options(await passkeys.BeginAssertionAsync(pending!.JourneyId, factor!.PersonId, cancellationToken));
    }

    private static async Task<IResult> SecondFactorAsync(HttpContext http, string? journey, RegistryLogin registry, Passkeys passkeys,
        AccountLocks locks, RegistryRateLimits limits, CancellationToken cancellationToken)
    {
        if (await ReadAsync<AssertionAnswer>(http, cancellationToken) is not { Credential.Response: not null } answer)
        {
            return Malformed();
        }
        var (pending, factor, elsewhere) = await FindSecondFactorAsync(http, journey, registry, cancellationToken);
        if (elsewhere is not null)
        {
            return elsewhere;
        }
        if (!limits.TryAcquire(locks.KeyOf(factor!.Username), out var retryAfter))
        {
            return TooManyAttempts(http, retryAfter);
        }
        var outcome = await passkeys.FinishAssertionAsync(pending!.JourneyId, factor.PersonId, answer.Ceremony, answer.Credential, cancellationToken);
        if (outcome.PersonId is null)
        {
            return Failure(outcome.Failure);
        }
        return Redirect(http, await registry.CompleteAsync(http, pending, factor, SecondFactorStage.Verify, RegistryLogin.PasswordAndPasskeyAmr, cancellationToken));
    }

    private static async Task<IResult> RegistrationOptionsAsync(HttpContext http, AccountHolders holders, Passkeys passkeys,
        CancellationToken cancellationToken)
    {
        var (holder, refused) = await AccountHolderAsync(http, holders, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }
        return Options(await passkeys.BeginRegistrationAsync(holder!.PersonId, holder.Username!, cancellationToken));
    }

    private static async Task<IResult> RegistrationAsync(HttpContext http, AccountHolders holders, Passkeys passkeys, AccountLocks locks, RegistryRateLimits limits,
        CancellationToken cancellationToken)
    {
        if (await ReadAsync<RegistrationAnswer>(http, cancellationToken) is not { Credential.Response: not null } answer)
        {
            return Malformed();
        }
        var (holder, refused) = await AccountHolderAsync(http, holders, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }
        if (!limits.TryAcquire(locks.KeyOf(holder!.Username!), out var retryAfter))
        {
            return TooManyAttempts(http, retryAfter);
        }
        var outcome = await passkeys.FinishRegistrationAsync(holder.PersonId, answer.Ceremony, answer.Credential, answer.Name, cancellationToken);
        return outcome.PersonId is null ? Failure(outcome.Failure) : Redirect(http, AccountHolders.SecurityPath + "?notice=passkey-added");
    }

    /// <summary>The journey's pending second factor, as the second-factor page finds it.</summary>
    private static async Task<(PendingAuthentication? Pending, PendingFactor? Factor, IResult? Elsewhere)> FindSecondFactorAsync(HttpContext http, string? journey,
        RegistryLogin registry, CancellationToken cancellationToken)
    {
        var visit = await registry.VisitAsync(http, journey, SecondFactorStage.Verify, cancellationToken);
        return visit.Factor is null ? (null, null, Elsewhere(http, visit.Elsewhere!)) : (visit.Pending, visit.Factor, null);
    }

    /// <summary>The signed-in person with a registry account, at the level <see cref="AccountHolders"/> requires.</summary>
    private static async Task<(AccountHolder? Holder, IResult? Refused)> AccountHolderAsync(HttpContext http, AccountHolders holders, CancellationToken cancellationToken)
    {
        var access = await holders.FindAsync(http, AccountHolders.SecurityPath, cancellationToken);
        if (access.Holder is not { } holder)
        {
            return (null, Problem(http, StatusCodes.Status401Unauthorized, "signed_out",
                "Sign in (at the level the account's second factors require) before changing its passkeys.", access.LogInFirst));
        }
        return holder.Username is null
            ? (null, Problem(http, StatusCodes.Status403Forbidden, "no_account", "Passkeys belong to national registry accounts; the person signed in has none."))
            : (holder, null);
    }

    /// <summary>A JSON call changes state like a form does, so it needs the same token (sent in a header by the page's script).</summary>
    private static async Task<IResult?> RefuseForgedAsync(HttpContext http, IAntiforgery antiforgery)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(http);
            return null;
        }
        catch (AntiforgeryValidationException)
        {
            return Problem(http, StatusCodes.Status400BadRequest, "antiforgery", "The request lacks a valid antiforgery token: reload the page.");
        }
    }

    private static async Task<T?> ReadAsync<T>(HttpContext http, CancellationToken cancellationToken) where T : class
    {
        if (!http.Request.HasJsonContentType())
        {
            return null;
        }
        try
        {
            return await http.Request.ReadFromJsonAsync<T>(Json, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or BadHttpRequestException)
        {
            return null;
        }
    }

    private static ContentHttpResult Options(PasskeyChallenge challenge)
    {
        var body = new JsonObject { ["ceremony"] = challenge.Ceremony, ["publicKey"] = JsonNode.Parse(challenge.OptionsJson) };
        return TypedResults.Content(body.ToJsonString(), "application/json");
    }

    private static JsonHttpResult<RedirectBody> Redirect(HttpContext http, string url) => TypedResults.Json(new RedirectBody(Local(http, url)), Json);

    private static ProblemHttpResult Elsewhere(HttpContext http, string url) =>
        Problem(http, StatusCodes.Status400BadRequest, "journey_ended", "This login cannot take a passkey now; the browser goes where the login stands.", url);

    private static ProblemHttpResult Malformed() => Problem(null, StatusCodes.Status400BadRequest, "malformed",
        "The body must be JSON: {ceremony, credential} with the credential as the browser gave it (base64url binary fields).");

    private static ProblemHttpResult Failure(PasskeyFailure failure) => failure switch
    {
        PasskeyFailure.CeremonyExpired => Problem(null, StatusCodes.Status400BadRequest, "ceremony_expired",
            "No such passkey request for this login or person: it expired, was already answered, or belongs to someone else. Start again."),
        PasskeyFailure.UnknownPasskey => Problem(null, StatusCodes.Status400BadRequest, "unknown_passkey",
            "This passkey is not registered, or not for this account."),
        PasskeyFailure.AlreadyRegistered => Problem(null, StatusCodes.Status400BadRequest, "already_registered", "This passkey is already registered."),
        PasskeyFailure.InvalidName => Problem(null, StatusCodes.Status400BadRequest, "invalid_name",
            $"A passkey's name has at most {Passkeys.MaxNameLength} characters, none of them control characters."),
        _ => Problem(null, StatusCodes.Status400BadRequest, "verification_failed", "The passkey's answer could not be verified."),
    };

    private static ProblemHttpResult TooManyAttempts(HttpContext http, TimeSpan retryAfter)
    {
        RegistryRateLimits.Reject(http.Response, retryAfter);
        return Problem(null, StatusCodes.Status429TooManyRequests, "too_many_attempts", "Too many attempts for this account: wait and try again.");
    }

    private static ProblemHttpResult Problem(HttpContext? http, int status, string code, string detail, string? redirect = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (redirect is not null)
        {
            extensions["redirect"] = Local(http!, redirect);
        }
        return TypedResults.Problem(detail: detail, statusCode: status, extensions: extensions);
    }

    /// <summary>The hub's root-relative URLs below the issuer's path, as the Location header gets them (Hosting/PublicPathBase).</summary>
    private static string Local(HttpContext http, string url) =>
        url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) ? http.Request.PathBase + url : url;

    private sealed record RedirectBody(string Redirect);

    private sealed record AssertionAnswer(string? Ceremony, AuthenticatorAssertionRawResponse? Credential);

    private sealed record RegistrationAnswer(string? Ceremony, AuthenticatorAttestationRawResponse? Credential, string? Name);
}
