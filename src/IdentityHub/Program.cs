using IdentityHub.Account;
using IdentityHub.Admin;
using IdentityHub.Audit;
using IdentityHub.Consent;
using IdentityHub.DataSharing;
using IdentityHub.Enterprises;
using IdentityHub.Federation;
using IdentityHub.Hosting;
using IdentityHub.IdentitySources;
using IdentityHub.Localization;
using IdentityHub.Login;
using IdentityHub.Protocol;
using IdentityHub.Registry;
using IdentityHub.Sessions;
using IdentityHub.Subjects;

var builder = HubEnvironment.CreateBuilder(args);
var verifyAudit = args is ["audit", "verify", ..];
if (verifyAudit)
{
    // The command's answer is its output: no log lines around it.
    builder.Logging.ClearProviders();
}
builder.AddHubHosting()
    .AddHubLocalization()
    .AddSubjects()
    .AddAudit()
    .AddIdentitySources()
    .AddSessions()
    .AddConsent()
    .AddDataSharing()
    .AddEnterprises()
    .AddLogin()
    .AddRegistry()
    .AddFederation()
    .AddProtocol()
    .AddAccount()
    .AddAdmin();

var app = builder.Build();
if (args is ["migrate", ..])
{
    await DatabaseSetup.MigrateAsync(app.Services, CancellationToken.None);
    return;
}
if (verifyAudit)
{
    Environment.ExitCode = await AuditCommand.VerifyAsync(app.Services, Console.Out, Console.Error);
    return;
}

// Middleware in order (outermost first), then every feature's endpoints.
app.UseHubHosting().UseProtocol().UseAdmin().UseRegistry().UseFederation().UseHubRouting();
app.MapHubHosting().MapProtocol().MapSessions().MapLogin().MapRegistry().MapFederation().MapAdmin();
app.Run();
