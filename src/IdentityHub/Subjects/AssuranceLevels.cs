using System.Text.Json;

namespace IdentityHub.Subjects;

/// <summary>eIDAS levels of assurance as <c>acr</c> values, lowest first (docs/integration.md, "Levels of assurance").</summary>
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
    /// The level a request asks for (docs/integration.md, "Levels of assurance"): the lowest known value of <c>acr_values</c>, raised to
    /// the service's registered minimum. Null when neither asks for anything.
    /// </summary>
    public static string? Asked(string? acrValues, string? minimum)
    {
        var lowest = (acrValues ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(value => Rank(value) >= 0)
            .MinBy(Rank);
        return Rank(minimum) > Rank(lowest) ? minimum : lowest;
    }

    /// <summary>
    /// The acr values of an essential <c>acr</c> claim in the OIDC <c>claims</c> parameter (Core 5.5.1.1), from
    /// <c>id_token</c> or <c>userinfo</c>; null when the parameter is not valid JSON.
    /// </summary>
    public static IReadOnlyList<string>? EssentialAcrValues(string? claimsParameter)
    {
        if (string.IsNullOrWhiteSpace(claimsParameter))
        {
            return [];
        }
        try
        {
            using var document = JsonDocument.Parse(claimsParameter);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            var values = new List<string>();
            foreach (var member in new[] { "id_token", "userinfo" })
            {
                if (document.RootElement.TryGetProperty(member, out var requested) && requested.ValueKind == JsonValueKind.Object
                    && requested.TryGetProperty("acr", out var acr) && acr.ValueKind == JsonValueKind.Object
                    && acr.TryGetProperty("essential", out var essential) && essential.ValueKind == JsonValueKind.True)
                {
                    if (acr.TryGetProperty("values", out var list) && list.ValueKind == JsonValueKind.Array)
                    {
                        values.AddRange(list.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!));
                    }
                    if (acr.TryGetProperty("value", out var single) && single.ValueKind == JsonValueKind.String)
                    {
                        values.Add(single.GetString()!);
                    }
                }
            }
            return values;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static bool Satisfies(string reached, string? asked) => Rank(reached) >= Rank(asked);
}
