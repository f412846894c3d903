using System.Text.Json;
using IdentityHub.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

namespace IdentityHub.Admin;

/// <summary>A signing or encryption key as the admin API shows it (never its material).</summary>
public sealed record KeyResponse(string Kid, string Alg, string Status, DateTimeOffset CreatedAt, DateTimeOffset ActivatesAt, DateTimeOffset? RetiresAt)
{
    public static KeyResponse Of(KeyState state) => new(
        state.Key.KeyId ?? state.Key.Id, state.Key.Algorithm, state.Status.ToString().ToLowerInvariant(),
        state.Key.CreatedAt, state.Key.ActivatesAt, state.Key.RetiresAt);
}

/// <summary>The body of a rotation, optional. Loose on purpose: a bad value is named, not refused as unreadable JSON.</summary>
public sealed record KeyRotationRequest
{
    /// <summary>Seconds from now until the new keys sign, 0 to 2,592,000 (30 days); default <c>Hub:Keys:PublishBeforeUseHours</c>.</summary>
    public JsonElement? ActivateAfterSeconds { get; init; }
}

/// <summary>/api/admin/v1/keys: the hub's signing and encryption keys and their rotation (docs/integration.md, "Admin API").</summary>
internal static class KeysApi
{
    public static RouteGroupBuilder MapKeys(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/keys").WithTags("Keys");
        group.MapGet("/", ListAsync).WithSummary("List the signing and encryption keys: kid, alg, status (next, active, retiring, retired) and their times");
        group.MapPost("/rotate", RotateAsync)
            .WithSummary("Rotate every key: the new ones are published in JWKS at once and sign from activatesAt; the old ones stay published until what they signed has expired");
        return api;
    }

    private static async Task<Ok<IReadOnlyList<KeyResponse>>> ListAsync(KeyRotation keys, CancellationToken cancellationToken) =>
        TypedResults.Ok(Describe(await keys.ListAsync(cancellationToken)));

    private static async Task<Results<Accepted<IReadOnlyList<KeyResponse>>, ValidationProblem>> RotateAsync(
        KeyRotationRequest? request, KeyRotation keys, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var activateAfter = ActivateAfter(request?.ActivateAfterSeconds, errors);
        if (errors.Any)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }
        // Accepted: the other instances take the new keys within moments, services at their next JWKS fetch.
        return TypedResults.Accepted("/api/admin/v1/keys", Describe(await keys.RotateAsync(activateAfter, AuditApi.ClientOf(http) is { } client ? IdentityHub.Audit.AuditEntry.ClientRef(client) : null, cancellationToken)));
    }

    private static TimeSpan? ActivateAfter(JsonElement? value, ValidationErrors errors)
    {
        if (value is not { ValueKind: not JsonValueKind.Null } element)
        {
            return null;
        }
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out var seconds) && seconds is >= 0 and <= KeyRotation.MaxActivateAfterSeconds)
        {
            return TimeSpan.FromSeconds(seconds);
        }
        errors.Add("activateAfterSeconds", $"Must be a whole number of seconds from 0 to {KeyRotation.MaxActivateAfterSeconds}.");
        return null;
    }

    private static IReadOnlyList<KeyResponse> Describe(IReadOnlyList<KeyState> keys) => [.. keys.Select(KeyResponse.Of)];
}
