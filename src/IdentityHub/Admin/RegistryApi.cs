using Microsoft.AspNetCore.Http.HttpResults;

namespace IdentityHub.Admin;

/// <summary>/api/admin/v1/registry: the national registry behind the hub's built-in identity source.</summary>
internal static class RegistryApi
{
    public static RouteGroupBuilder MapRegistry(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/registry").WithTags("National registry");
        group.MapPost("/people", CreatePersonAsync).WithSummary("Register a person with a registry account they can sign in with at once");
        group.MapGet("/people/{identityNumber}", GetPersonAsync).WithSummary("Read one person by identity number (never their password)");
        group.MapPost("/people/{identityNumber}/unlock", UnlockAsync).WithSummary("End a lock-out after repeated wrong passwords or codes");
        group.MapDelete("/people/{identityNumber}/second-factors", RemoveSecondFactorsAsync)
            .WithSummary("Remove the authenticator app, recovery codes and passkeys (a lost phone): the next eidas2 login enrols again");
        group.MapPost("/enterprises", CreateEnterpriseAsync).WithSummary("Register an enterprise by its tax code");
        group.MapGet("/enterprises/{enterpriseId}", GetEnterpriseAsync).WithSummary("Read an enterprise and the people who may act for it");
        group.MapPost("/enterprises/{enterpriseId}/representatives", AddRepresentativeAsync).WithSummary("Record that a registered person may act for an enterprise");
        return api;
    }

    private static async Task<Results<Ok<PersonResponse>, ProblemHttpResult>> GetPersonAsync(string identityNumber, RegistryRecords registry, CancellationToken cancellationToken) =>
        await registry.FindPersonAsync(identityNumber, cancellationToken) is { } found ? TypedResults.Ok(found) : PersonNotFound(identityNumber);

    private static async Task<Results<Created<PersonResponse>, ValidationProblem, ProblemHttpResult>> CreatePersonAsync(
        PersonRequest request, RegistryRecords registry, CancellationToken cancellationToken) =>
        (await registry.CreatePersonAsync(request, cancellationToken)).ToCreated(person => $"/api/admin/v1/registry/people/{person.IdentityNumber}");

    private static async Task<Results<NoContent, ProblemHttpResult>> UnlockAsync(string identityNumber, RegistryRecords registry, CancellationToken cancellationToken) =>
        await registry.UnlockAsync(identityNumber, cancellationToken) ? TypedResults.NoContent() : AccountNotFound(identityNumber);

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveSecondFactorsAsync(string identityNumber, RegistryRecords registry, CancellationToken cancellationToken) =>
        await registry.RemoveSecondFactorsAsync(identityNumber, cancellationToken) ? TypedResults.NoContent() : AccountNotFound(identityNumber);

    private static async Task<Results<Ok<EnterpriseResponse>, ProblemHttpResult>> GetEnterpriseAsync(string enterpriseId, RegistryRecords registry, CancellationToken cancellationToken) =>
        await registry.FindEnterpriseAsync(enterpriseId, cancellationToken) is { } found ? TypedResults.Ok(found) : EnterpriseNotFound(enterpriseId);

    private static async Task<Results<Created<EnterpriseResponse>, ValidationProblem, ProblemHttpResult>> CreateEnterpriseAsync(
        EnterpriseRequest request, RegistryRecords registry, CancellationToken cancellationToken) =>
        (await registry.CreateEnterpriseAsync(request, cancellationToken)).ToCreated(enterprise => $"/api/admin/v1/registry/enterprises/{enterprise.EnterpriseId}");

    // A representation has no address of its own: it is read back as part of its enterprise.
    private static async Task<Results<Created<RepresentativeResponse>, ValidationProblem, ProblemHttpResult>> AddRepresentativeAsync(
        string enterpriseId, RepresentativeRequest request, RegistryRecords registry, CancellationToken cancellationToken) =>
        (await registry.AddRepresentativeAsync(enterpriseId, request, cancellationToken))
            .ToCreated(_ => $"/api/admin/v1/registry/enterprises/{enterpriseId}", () => EnterpriseNotFound(enterpriseId));

    private static ProblemHttpResult PersonNotFound(string identityNumber) => AdminHttpResults.NotFound($"No person has identity number '{identityNumber}'.");

    private static ProblemHttpResult AccountNotFound(string identityNumber) => AdminHttpResults.NotFound($"No registry account belongs to identity number '{identityNumber}'.");

    private static ProblemHttpResult EnterpriseNotFound(string enterpriseId) => AdminHttpResults.NotFound($"No enterprise has tax code '{enterpriseId}'.");
}
