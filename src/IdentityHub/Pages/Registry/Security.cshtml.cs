using IdentityHub.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityHub.Pages.Registry;

/// <summary>
/// A signed-in person's second factors: the authenticator app (set up, new recovery codes, remove) and passkeys (add,
/// remove). Changing them takes <c>eidas2</c> once the account has one (<see cref="AccountHolders"/>).
/// </summary>
public sealed class SecurityModel(AccountHolders holders, Authenticator authenticator) : PageModel
{
    public AccountHolder Holder { get; private set; } = new(Guid.Empty, null, new RegistryFactors(false, false, null, 0, 0));

    public IReadOnlyList<PasskeySummary> Passkeys { get; private set; } = [];

    /// <summary>New recovery codes, shown in this response only.</summary>
    public IReadOnlyList<string>? RecoveryCodes { get; private set; }

    /// <summary>What the last change did, for the status message.</summary>
    public string? Notice { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? notice, CancellationToken cancellationToken)
    {
        if (await LoadAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }
        Notice = notice is "removed" or "passkey-removed" or "passkey-added" ? notice : null;
        return Page();
    }

    public async Task<IActionResult> OnPostRemoveAuthenticatorAsync(CancellationToken cancellationToken)
    {
        if (await LoadAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }
        await authenticator.RemoveAsync(Holder.PersonId, cancellationToken);
        return LocalRedirect(AccountHolders.SecurityPath + "?notice=removed");
    }

    public async Task<IActionResult> OnPostRecoveryCodesAsync(CancellationToken cancellationToken)
    {
        if (await LoadAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }
        RecoveryCodes = await authenticator.RenewRecoveryCodesAsync(Holder.PersonId, cancellationToken);
        return RecoveryCodes is null ? LocalRedirect(AccountHolders.SecurityPath) : Page();
    }

    public async Task<IActionResult> OnPostRemovePasskeyAsync(string? credentialId, CancellationToken cancellationToken)
    {
        if (await LoadAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }
        if (!string.IsNullOrEmpty(credentialId))
        {
            await holders.RemovePasskeyAsync(Holder.PersonId, credentialId, cancellationToken);
        }
        return LocalRedirect(AccountHolders.SecurityPath + "?notice=passkey-removed");
    }

    private async Task<IActionResult?> LoadAsync(CancellationToken cancellationToken)
    {
        var access = await holders.FindAsync(HttpContext, AccountHolders.SecurityPath, cancellationToken);
        if (access.Holder is not { } holder)
        {
            return LocalRedirect(access.LogInFirst!);
        }
        Holder = holder;
        Passkeys = holder.Username is null ? [] : await holders.PasskeysAsync(holder.PersonId, cancellationToken);
        return null;
    }
}
