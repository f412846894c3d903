namespace IdentityHub;

/// <summary>
/// Marker for the hub's one set of user-facing strings: Resources/SharedResource.resx (Vietnamese, the
/// default), .en.resx and .fr.resx. It sits in the root namespace so the resource name matches the files.
/// </summary>
public sealed class SharedResource;
