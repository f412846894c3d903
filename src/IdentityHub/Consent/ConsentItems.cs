namespace IdentityHub.Consent;

/// <summary>The items of a consent (claim names, <c>offline_access</c>) as one canonical string: sorted, distinct, space-separated.</summary>
public static class ConsentItems
{
    /// <summary>Room for every claim the hub serves, with a margin for the scopes later issues add.</summary>
    public const int MaxLength = 2000;

    public static string Join(IEnumerable<string> items) => string.Join(' ', items.Where(i => i.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    public static IReadOnlyList<string> Split(string? items) => string.IsNullOrEmpty(items) ? [] : items.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Every item of <paramref name="asked"/> is among <paramref name="granted"/>.</summary>
    public static bool Covers(string granted, IEnumerable<string> asked)
    {
        var set = Split(granted).ToHashSet(StringComparer.Ordinal);
        return asked.All(set.Contains);
    }
}
