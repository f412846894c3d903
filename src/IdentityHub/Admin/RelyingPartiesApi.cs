using Microsoft.AspNetCore.Http.HttpResults;

namespace IdentityHub.Admin;

/// <summary>/api/admin/v1/relying-parties: the services that may log people in through the hub.</summary>
internal static class RelyingPartiesApi
{
    public static RouteGroupBuilder MapRelyingParties(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/relying-parties").WithTags("Relying parties");
        group.MapGet("/", ListAsync).WithSummary("List the registered services");
        group.MapGet("/{clientId}", GetAsync).WithSummary("Read one service");
        group.MapPost("/", CreateAsync).WithSummary("Register a service; the response carries its client secret, once");
        group.MapPut("/{clientId}", ReplaceAsync).WithSummary("Replace a service's registration (its secret is kept)");
        group.MapDelete("/{clientId}", DeleteAsync).WithSummary("Remove a service and everything issued to it");
        group.MapPost("/{clientId}/secret", RotateSecretAsync).WithSummary("Issue a new client secret, returned once; the old one stops working");
        return api;
    }

    private static async Task<Ok<IReadOnlyList<RelyingPartyResponse>>> ListAsync(RelyingPartyRegistry registry, CancellationToken cancellationToken) =>
        TypedResults.Ok(await registry.ListAsync(cancellationToken));

    private static async Task<Results<Ok<RelyingPartyResponse>, ProblemHttpResult>> GetAsync(string clientId, RelyingPartyRegistry registry, CancellationToken cancellationToken) =>
        await registry.FindAsync(clientId, cancellationToken) is { } found ? TypedResults.Ok(found) : NotFound(clientId);

    private static async Task<Results<Created<RelyingPartyResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        RelyingPartyRequest request, RelyingPartyRegistry registry, CancellationToken cancellationToken) =>
        (await registry.CreateAsync(request, cancellationToken)).ToCreated(party => $"/api/admin/v1/relying-parties/{Uri.EscapeDataString(party.ClientId)}");

    private static async Task<Results<Ok<RelyingPartyResponse>, ValidationProblem, ProblemHttpResult>> ReplaceAsync(
        string clientId, RelyingPartyRequest request, RelyingPartyRegistry registry, CancellationToken cancellationToken) =>
        (await registry.ReplaceAsync(clientId, request, cancellationToken)).ToOk(() => NotFound(clientId));

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string clientId, RelyingPartyRegistry registry, CancellationToken cancellationToken) =>
        (await registry.DeleteAsync(clientId, cancellationToken)).ToNoContent(() => NotFound(clientId));

    private static async Task<Results<Ok<ClientSecretResponse>, ProblemHttpResult>> RotateSecretAsync(string clientId, RelyingPartyRegistry registry, CancellationToken cancellationToken)
    {
        var result = await registry.RotateSecretAsync(clientId, cancellationToken);
        return result.Outcome == SaveOutcome.Saved
            ? TypedResults.Ok(new ClientSecretResponse(clientId, result.Value!.ClientSecret!))
            : result.ToProblem(() => NotFound(clientId), conflictTitle: "No secret");
    }

    private static ProblemHttpResult NotFound(string clientId) => AdminHttpResults.NotFound($"No relying party has client id '{clientId}'.");
}
