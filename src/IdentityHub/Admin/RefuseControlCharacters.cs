using System.Reflection;
using System.Text.Json;
using IdentityHub.Hosting;

namespace IdentityHub.Admin;

/// <summary>
/// A JSON document's strings reach the admin API decoded, past the request guard (docs/design.md, "Malformed input"):
/// one holding a control character (NUL is <c>\u0000</c> in JSON) is refused with 400 naming its field, before any
/// application service validates or writes anything. Every field of every request, nested ones and JSON Web Keys included.
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
                foreach (var property in argument!.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    if (!IsAcceptable(property.GetValue(argument)))
                    {
                        errors.Add(JsonNamingPolicy.CamelCase.ConvertName(property.Name), Message);
                    }
                }
            }
        }
        return errors.Any ? TypedResults.ValidationProblem(errors.ToDictionary()) : await next(context);
    }

    /// <summary>A body the API read into one of its own types (route values and services are not).</summary>
    private static bool IsRequest(object? argument) => argument?.GetType().Namespace == typeof(RefuseControlCharacters).Namespace;

    private static bool IsAcceptable(object? value) => value switch
    {
        null => true,
        string text => RequestText.IsAcceptable(text),
        JsonElement element => IsAcceptable(element),
        IEnumerable<KeyValuePair<string, string?>> map => map.All(pair => RequestText.IsAcceptable(pair.Key) && RequestText.IsAcceptable(pair.Value)),
        IEnumerable<string?> list => list.All(RequestText.IsAcceptable),
        _ when IsRequest(value) => value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).All(p => IsAcceptable(p.GetValue(value))),
        _ => true,
    };

    private static bool IsAcceptable(JsonElement element)
    {
        try
        {
            return element.ValueKind switch
            {
                JsonValueKind.String => RequestText.IsAcceptable(element.GetString()),
                JsonValueKind.Object => element.EnumerateObject().All(p => RequestText.IsAcceptable(p.Name) && IsAcceptable(p.Value)),
                JsonValueKind.Array => element.EnumerateArray().All(IsAcceptable),
                _ => true,
            };
        }
        catch (InvalidOperationException)
        {
            // An escape that decodes to no text at all (a lone surrogate).
            return false;
        }
    }
}
