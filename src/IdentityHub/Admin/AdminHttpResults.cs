using Microsoft.AspNetCore.Http.HttpResults;

namespace IdentityHub.Admin;

/// <summary>
/// How every admin endpoint answers for an <see cref="AdminResult{T}"/>: its success, 400 naming each bad field,
/// 404, or 409 with the service's reason. Each returns a typed <c>Results&lt;...&gt;</c> because the OpenAPI
/// description lists an operation's responses from its return type.
/// </summary>
internal static class AdminHttpResults
{
    /// <param name="location">The address of the saved value, sent as the Location header.</param>
    /// <param name="notFound">The 404 for a write under a parent that may be missing, such as a representative's enterprise.</param>
    public static Results<Created<T>, ValidationProblem, ProblemHttpResult> ToCreated<T>(this AdminResult<T> result, Func<T, string> location, Func<ProblemHttpResult>? notFound = null)
        where T : class => result.Outcome switch
        {
            SaveOutcome.Saved => TypedResults.Created(location(result.Value!), result.Value),
            SaveOutcome.Invalid => TypedResults.ValidationProblem(result.Errors!.ToDictionary()),
            _ => result.ToProblem(notFound),
        };

    public static Results<Ok<T>, ValidationProblem, ProblemHttpResult> ToOk<T>(this AdminResult<T> result, Func<ProblemHttpResult> notFound)
        where T : class => result.Outcome switch
        {
            SaveOutcome.Saved => TypedResults.Ok(result.Value!),
            SaveOutcome.Invalid => TypedResults.ValidationProblem(result.Errors!.ToDictionary()),
            _ => result.ToProblem(notFound),
        };

    public static Results<NoContent, ProblemHttpResult> ToNoContent<T>(this AdminResult<T> result, Func<ProblemHttpResult> notFound)
        where T : class => result.Outcome == SaveOutcome.Saved ? TypedResults.NoContent() : result.ToProblem(notFound);

    /// <summary>The problem for a write that was refused but not for its fields: 404, or 409 with the service's reason.</summary>
    public static ProblemHttpResult ToProblem<T>(this AdminResult<T> result, Func<ProblemHttpResult>? notFound, string conflictTitle = "Conflict")
        where T : class => result.Outcome switch
        {
            SaveOutcome.NotFound when notFound is not null => notFound(),
            SaveOutcome.Conflict => Conflict(result.Detail, conflictTitle),
            // The service and its endpoint disagree about what can happen: a bug of the hub, not of the request.
            _ => throw new InvalidOperationException($"An admin write ended {result.Outcome}, which this endpoint does not answer."),
        };

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);

    private static ProblemHttpResult Conflict(string? detail, string title) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: title, detail: detail);
}
