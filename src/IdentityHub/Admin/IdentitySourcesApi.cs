using Microsoft.AspNetCore.Http.HttpResults;

namespace IdentityHub.Admin;

/// <summary>/api/admin/v1/identity-sources: where people can prove who they are.</summary>
internal static class IdentitySourcesApi
{
    public static RouteGroupBuilder MapIdentitySources(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/identity-sources").WithTags("Identity sources");
        group.MapGet("/", ListAsync).WithSummary("List the identity sources, the built-in registry among them");
        group.MapGet("/{id}", GetAsync).WithSummary("Read one identity source (its client secret is never returned)");
        group.MapPost("/", CreateAsync).WithSummary("Add an OpenID Connect identity source; register {issuer}/signin/{id} as its redirect URI");
        group.MapPut("/{id}", ReplaceAsync).WithSummary("Replace an identity source's settings (a client secret left out is kept)");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Remove an identity source; the registry can only be disabled");
        return api;
    }

    private static async Task<Ok<IReadOnlyList<IdentitySourceResponse>>> ListAsync(IdentitySourceRegistry sources, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sources.ListAsync(cancellationToken));

    private static async Task<Results<Ok<IdentitySourceResponse>, ProblemHttpResult>> GetAsync(string id, IdentitySourceRegistry sources, CancellationToken cancellationToken) =>
        await sources.FindAsync(id, cancellationToken) is { } found ? TypedResults.Ok(found) : NotFound(id);

    private static async Task<Results<Created<IdentitySourceResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        IdentitySourceRequest request, IdentitySourceRegistry sources, CancellationToken cancellationToken) =>
        (await sources.CreateAsync(request, cancellationToken)).ToCreated(source => $"/api/admin/v1/identity-sources/{Uri.EscapeDataString(source.Id)}");

    private static async Task<Results<Ok<IdentitySourceResponse>, ValidationProblem, ProblemHttpResult>> ReplaceAsync(
        string id, IdentitySourceRequest request, IdentitySourceRegistry sources, CancellationToken cancellationToken) =>
        (await sources.ReplaceAsync(id, request, cancellationToken)).ToOk(() => NotFound(id));

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, IdentitySourceRegistry sources, CancellationToken cancellationToken) =>
        (await sources.DeleteAsync(id, cancellationToken)).ToNoContent(() => NotFound(id));

    private static ProblemHttpResult NotFound(string id) => AdminHttpResults.NotFound($"No identity source has id '{id}'.");
}
