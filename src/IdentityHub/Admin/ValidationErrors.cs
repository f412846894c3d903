namespace IdentityHub.Admin;

/// <summary>Collects validation messages keyed by the request's camelCase property names (docs/integration.md, "Admin API").</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }
        messages.Add(message);
    }

    public bool Has(string field) => _errors.ContainsKey(field);

    public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    /// <summary>
    /// A URI the hub will send people or requests to: absolute http(s), no fragment, and https unless the hub
    /// runs in Development or the host is the loopback interface (RFC 8252 7.3).
    /// </summary>
    public Uri? RequireRedirectableUri(string field, string? value, bool allowHttp)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            Add(field, $"'{value}' is not an absolute http(s) URI.");
            return null;
        }
        if (!string.IsNullOrEmpty(uri.Fragment) || value!.Contains('#', StringComparison.Ordinal))
        {
            Add(field, $"'{value}' must not contain a fragment.");
            return null;
        }
        if (uri.Scheme == "http" && !allowHttp && !uri.IsLoopback)
        {
            Add(field, $"'{value}' must use https (plain http is accepted only for loopback addresses).");
            return null;
        }
        return uri;
    }
}
