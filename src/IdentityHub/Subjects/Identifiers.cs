namespace IdentityHub.Subjects;

/// <summary>The forms of the national identifiers the hub accepts, from the admin API and from identity sources alike.</summary>
public static class Identifiers
{
    /// <summary>A national personal identification number: exactly 12 digits.</summary>
    public static bool IsIdentityNumber(string? value) => value is { Length: 12 } && value.All(char.IsAsciiDigit);

    /// <summary>An enterprise's tax code: 10 digits, or 10 digits, '-' and 3 digits for a dependent unit.</summary>
    public static bool IsTaxCode(string? value) => value?.Length switch
    {
        10 => value.All(char.IsAsciiDigit),
        14 => value[10] == '-' && value[..10].All(char.IsAsciiDigit) && value[11..].All(char.IsAsciiDigit),
        _ => false,
    };
}
