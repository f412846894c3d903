using System.Reflection;
using System.Text.Json;
using IdentityHub.Hosting;

namespace IdentityHub.Admin;

/// <summary>
/// A JSON document's strings reach the admin API decoded, past the request guard (docs/design.md, "Malformed input"):
/// one holding a control character (NUL is <c>\u0000</c> in JSON) is refused with 400 naming its field, before any
/// application service validates or writes anything. Every field of every request, nested ones and JSON values
/// (a structured address, JSON Web Keys) included; a member of a JSON value is named by its path (<c>address.locality</c>).
/// </summary>
internal static class RefuseControlCharacters
{
    private const string Message = "Must not contain control characters.";

    public static async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var errors = new ValidationErrors();
        foreach (var argument in context.Arguments)
        {
            if (IsRequest(argument))
            {
                CheckProperties(argument!, errors);
            }
        }
        return errors.Any ? TypedResults.ValidationProblem(errors.ToDictionary()) : await next(context);
    }

    /// <summary>A body the API read into one of its own types (route values and services are not).</summary>
    private static bool IsRequest(object? argument) => argument?.GetType().Namespace == typeof(RefuseControlCharacters).Namespace;

    private static void CheckProperties(object request, ValidationErrors errors, string prefix = "")
    {
        foreach (var property in request.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            Check(property.GetValue(request), prefix + JsonNamingPolicy.CamelCase.ConvertName(property.Name), errors);
        }
    }

    private static void Check(object? value, string field, ValidationErrors errors)
    {
        var acceptable = value switch
        {
            null => true,
            string text => RequestText.IsAcceptable(text),
            JsonElement element => Check(element, field, errors),
            IEnumerable<KeyValuePair<string, string?>> map => map.All(pair => RequestText.IsAcceptable(pair.Key) && RequestText.IsAcceptable(pair.Value)),
            IEnumerable<string?> list => list.All(RequestText.IsAcceptable),
            _ => true,
        };
        if (!acceptable)
        {
            errors.Add(field, Message);
        }
        else if (value is not null && value is not string && IsRequest(value))
        {
            CheckProperties(value, errors, field + ".");
        }
        else if (value is not string and not JsonElement and System.Collections.IEnumerable items)
        {
            // A list of the API's own objects (a data provider's scopes): each item's fields, named scopes[0].name.
            var index = 0;
            foreach (var item in items)
            {
                if (IsRequest(item))
                {
                    CheckProperties(item!, errors, $"{field}[{index}].");
                }
                index++;
            }
        }
    }

    /// <summary>True when the element's own text is acceptable; the members and items that are not are named as they go.</summary>
    private static bool Check(JsonElement element, string field, ValidationErrors errors)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    return RequestText.IsAcceptable(element.GetString());
                case JsonValueKind.Object:
                    foreach (var member in element.EnumerateObject())
                    {
                        if (!RequestText.IsAcceptable(member.Name))
                        {
                            return false;
                        }
                        if (!Check(member.Value, $"{field}.{member.Name}", errors))
                        {
                            errors.Add($"{field}.{member.Name}", Message);
                        }
                    }
                    return true;
                case JsonValueKind.Array:
                    var index = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        if (!Check(item, $"{field}[{index}]", errors))
                        {
                            errors.Add($"{field}[{index}]", Message);
                        }
                        index++;
                    }
                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            // An escape that decodes to no text at all (a lone surrogate).
            return false;
        }
    }
}
