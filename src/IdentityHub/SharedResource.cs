namespace IdentityHub;

/// <summary>
/// Marker for the hub's one set of user-facing strings: Resources/SharedResource.resx (Vietnamese, the
/// default), .en.resx and .fr.resx. It lives outside Resources/ so the build names the resources after the folder, not after this class.
/// </summary>
public sealed class SharedResource;
