using Microsoft.AspNetCore.Http.HttpResults;

namespace IdentityHub.Admin;

/// <summary>/api/admin/v1/data-providers: agency APIs that receive access tokens for their data (CONTRACT section 8).</summary>
internal static class DataProvidersApi
{
    public static RouteGroupBuilder MapDataProviders(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/data-providers").WithTags("Data providers");
        group.MapGet("/", ListAsync).WithSummary("List the data providers and their data scopes");
        group.MapGet("/{id}", GetAsync).WithSummary("Read one data provider (its secret is never returned)");
        group.MapPost("/", CreateAsync).WithSummary("Register a data provider; its introspection secret (client id = id) is returned once");
        group.MapPut("/{id}", ReplaceAsync).WithSummary("Replace a data provider's name, resource, scopes and identifier (the secret is kept)");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Remove a data provider, its credentials and its scopes");
        return api;
    }

    private static async Task<Ok<IReadOnlyList<DataProviderResponse>>> ListAsync(DataProviderRegistry registry, CancellationToken cancellationToken) =>
        TypedResults.Ok(await registry.ListAsync(cancellationToken));

    private static async Task<Results<Ok<DataProviderResponse>, ProblemHttpResult>> GetAsync(string id, DataProviderRegistry registry, CancellationToken cancellationToken) =>
        await registry.FindAsync(id, cancellationToken) is { } found ? TypedResults.Ok(found) : NotFound(id);

    private static async Task<Results<Created<DataProviderResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        DataProviderRequest request, DataProviderRegistry registry, CancellationToken cancellationToken) =>
        (await registry.CreateAsync(request, cancellationToken)).ToCreated(provider => $"/api/admin/v1/data-providers/{Uri.EscapeDataString(provider.Id)}");

    private static async Task<Results<Ok<DataProviderResponse>, ValidationProblem, ProblemHttpResult>> ReplaceAsync(
        string id, DataProviderRequest request, DataProviderRegistry registry, CancellationToken cancellationToken) =>
        (await registry.ReplaceAsync(id, request, cancellationToken)).ToOk(() => NotFound(id));

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, DataProviderRegistry registry, CancellationToken cancellationToken) =>
        (await registry.DeleteAsync(id, cancellationToken)).ToNoContent(() => NotFound(id));

    private static ProblemHttpResult NotFound(string id) => AdminHttpResults.NotFound($"No data provider has id '{id}'.");
}
