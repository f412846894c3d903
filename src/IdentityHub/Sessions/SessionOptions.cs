using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace IdentityHub.Sessions;

/// <summary><c>Hub:Sessions</c>: how long a hub (single-sign-on) session lasts (docs/integration.md, "Single sign-on").</summary>
public sealed class SessionOptions
{
    public const string Section = "Hub:Sessions";

    /// <summary>The session ends after this many minutes without use (a login it serves, a hub page it opens).</summary>
    [Range(1, 24 * 60)]
    public int IdleMinutes { get; set; } = 30;

    /// <summary>The session ends this many hours after the authentication, used or not.</summary>
    [Range(1, 24 * 30)]
    public int AbsoluteHours { get; set; } = 12;

    public TimeSpan Idle => TimeSpan.FromMinutes(IdleMinutes);

    public TimeSpan Absolute => TimeSpan.FromHours(AbsoluteHours);
}

[OptionsValidator]
public sealed partial class SessionOptionsValidator : IValidateOptions<SessionOptions>;
