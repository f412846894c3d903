namespace IdentityHub.IdentitySources;

/// <summary>eIDAS levels of assurance as <c>acr</c> values, lowest first (CONTRACT section 2).</summary>
public static class AssuranceLevels
{
    public const string Low = "eidas1";
    public const string Substantial = "eidas2";
    public const string High = "eidas3";

    public static IReadOnlyList<string> All { get; } = [Low, Substantial, High];

    /// <summary>0, 1, 2 for the known levels; -1 for anything else.</summary>
    public static int Rank(string? acr) => acr is null ? -1 : All.ToList().IndexOf(acr);
}
