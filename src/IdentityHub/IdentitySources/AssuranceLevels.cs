namespace IdentityHub.IdentitySources;

/// <summary>eIDAS levels of assurance as <c>acr</c> values, lowest first (CONTRACT section 2).</summary>
public static class AssuranceLevels
{
    public const string Low = "eidas1";
    public const string Substantial = "eidas2";
    public const string High = "eidas3";

    public static IReadOnlyList<string> All { get; } = [Low, Substantial, High];

    /// <summary>0, 1, 2 for the known levels; -1 for anything else.</summary>
    public static int Rank(string? acr) => acr switch
    {
        Low => 0,
        Substantial => 1,
        High => 2,
        _ => -1,
    };

    /// <summary>
    /// The level a request asks for (CONTRACT section 2): the lowest known value of <c>acr_values</c>, raised to
    /// the service's registered minimum. Null when neither asks for anything.
    /// </summary>
    public static string? Asked(string? acrValues, string? minimum)
    {
        var lowest = (acrValues ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(value => Rank(value) >= 0)
            .MinBy(Rank);
        return Rank(minimum) > Rank(lowest) ? minimum : lowest;
    }

    public static bool Satisfies(string reached, string? asked) => Rank(reached) >= Rank(asked);
}
