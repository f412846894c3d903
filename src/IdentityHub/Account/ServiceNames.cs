using System.Globalization;
using OpenIddict.Abstractions;

namespace IdentityHub.Account;

/// <summary>
/// The names people know services by: each client's display name in a language (OpenIddict's <c>DisplayNames</c>,
/// else its <c>DisplayName</c>), read through the application manager and so from its cache of clients.
/// </summary>
public sealed class ServiceNames(IOpenIddictApplicationManager applications)
{
    /// <summary>The name of each of <paramref name="clientIds"/> still registered; a removed service has none.</summary>
    public async Task<Dictionary<string, string>> NamesAsync(IEnumerable<string> clientIds, CultureInfo culture, CancellationToken cancellationToken)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var clientId in clientIds.Distinct(StringComparer.Ordinal))
        {
            if (await applications.FindByClientIdAsync(clientId, cancellationToken) is { } application
                && await applications.GetLocalizedDisplayNameAsync(application, culture, cancellationToken) is { Length: > 0 } name)
            {
                names[clientId] = name;
            }
        }
        return names;
    }
}
