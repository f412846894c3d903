using IdentityHub.Account;
using IdentityHub.Admin;
using IdentityHub.Consent;
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
builder.AddHubHosting()
    .AddHubLocalization()
    .AddSubjects()
    .AddIdentitySources()
    .AddSessions()
    .AddConsent()
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

// Middleware in order (outermost first), then every feature's endpoints.
app.UseHubHosting().UseProtocol().UseAdmin().UseRegistry().UseFederation().UseHubRouting();
app.MapHubHosting().MapProtocol().MapSessions().MapLogin().MapRegistry().MapFederation().MapAdmin();
app.Run();
