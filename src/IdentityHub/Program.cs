using IdentityHub.Admin;
using IdentityHub.Data;
using IdentityHub.Federation;
using IdentityHub.Hosting;
using IdentityHub.Localization;
using IdentityHub.Login;
using IdentityHub.Protocol;
using IdentityHub.Registry;
using IdentityHub.Sessions;

var builder = HubEnvironment.CreateBuilder(args);
builder.AddHubHosting()
    .AddData()
    .AddHubLocalization()
    .AddProtocol()
    .AddRegistry()
    .AddLogin()
    .AddSessions()
    .AddFederation()
    .AddAdmin();

var app = builder.Build();
if (args is ["migrate", ..])
{
    await DataSetup.MigrateAsync(app.Services, CancellationToken.None);
    return;
}

app.UseHubPipeline();
app.MapHubHosting();
app.MapProtocol();
app.MapSessions();
app.MapFederation();
app.MapAdmin();
app.MapRazorPages();
app.Run();
