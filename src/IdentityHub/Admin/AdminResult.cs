namespace IdentityHub.Admin;

public enum SaveOutcome
{
    Saved,
    Invalid,
    NotFound,
    Conflict,
}

/// <summary>
/// What an admin application service did with a write: the stored value, every bad field, or why it was refused.
/// The services know nothing of HTTP; <see cref="AdminHttpResults"/> turns this into a response.
/// </summary>
public sealed record AdminResult<T>(SaveOutcome Outcome, T? Value = null, ValidationErrors? Errors = null, string? Detail = null)
    where T : class;

/// <summary>The ways to build an <see cref="AdminResult{T}"/>, kept off the generic type so a saved value's type is inferred.</summary>
public static class AdminResult
{
    public static AdminResult<T> Saved<T>(T value) where T : class => new(SaveOutcome.Saved, value);

    /// <summary>Removed: a success with nothing left to return.</summary>
    public static AdminResult<T> Deleted<T>() where T : class => new(SaveOutcome.Saved);

    public static AdminResult<T> Invalid<T>(ValidationErrors errors) where T : class => new(SaveOutcome.Invalid, Errors: errors);

    public static AdminResult<T> NotFound<T>() where T : class => new(SaveOutcome.NotFound);

    /// <param name="detail">Why the write was refused, shown to the caller as the problem's detail.</param>
    public static AdminResult<T> Conflict<T>(string detail) where T : class => new(SaveOutcome.Conflict, Detail: detail);
}
