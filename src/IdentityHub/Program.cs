using IdentityHub.Admin;
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
    .AddLogin()
    .AddRegistry()
    .AddFederation()
    .AddProtocol()
    .AddAdmin();

var app = builder.Build();
if (args is ["migrate", ..])
{
    await DatabaseSetup.MigrateAsync(app.Services, CancellationToken.None);
    return;
}

app.UseHubHosting();
app.UseProtocol();
app.UseAdmin();
app.UseRegistry();
app.UseHubRouting();
app.MapHubHosting();
app.MapProtocol();
app.MapSessions();
app.MapLogin();
app.MapRegistry();
app.MapFederation();
app.MapAdmin();
app.Run();
