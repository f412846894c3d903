using IdentityHub.Hosting;
using IdentityHub.Protocol;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Admin;

/// <summary><c>Hub:Bootstrap</c>: the first key to the admin API.</summary>
public sealed class BootstrapOptions
{
    public const string Section = "Hub:Bootstrap";

    /// <summary>When set, the confidential client <c>hub-admin</c> (client_credentials, scope <c>hub.admin</c>) is created or updated at start-up with this secret.</summary>
    public string? AdminClientSecret { get; set; }
}

/// <summary>
/// With <c>Hub__Bootstrap__AdminClientSecret</c> set, the confidential client <c>hub-admin</c> exists at start-up
/// with exactly that secret, client_credentials only and scope <c>hub.admin</c>: the first key to the admin API.
/// </summary>
internal sealed class AdminClientBootstrap(IServiceScopeFactory scopes, IOptions<BootstrapOptions> options, IHostEnvironment environment) : StartupTask
{
    public const string ClientId = "hub-admin";

    /// <summary>Client secrets are stored as a fast digest (see HubApplicationManager): they must be unguessable.</summary>
    public const int MinimumSecretLength = 32;

    public override async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (options.Value.AdminClientSecret is not { Length: > 0 } secret)
        {
            return;
        }
        if (secret.Length < MinimumSecretLength && !environment.IsDevelopment())
        {
            throw new OptionsValidationException(BootstrapOptions.Section, typeof(BootstrapOptions),
                [$"Hub:Bootstrap:AdminClientSecret must be at least {MinimumSecretLength} random characters (for example: openssl rand -base64 32)."]);
        }
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = ClientId,
            ClientSecret = secret,
            ClientType = ClientTypes.Confidential,
            DisplayName = "IdentityHub administration",
        };
        ClientPermissions.Grant(descriptor, [GrantTypes.ClientCredentials], [AdminSetup.Scope]);

        var existing = await applications.FindByClientIdAsync(ClientId, cancellationToken);
        if (existing is null)
        {
            await applications.CreateAsync(descriptor, cancellationToken);
        }
        else
        {
            await applications.UpdateAsync(existing, descriptor, cancellationToken);
        }
    }
}
