using IdentityHub.Data;
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
    .AddSessions();
builder.Services.AddRazorPages();
// Vietnamese and French text is written as characters, not as numeric entities.
builder.Services.AddSingleton(System.Text.Encodings.Web.HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All));

var app = builder.Build();
if (args is ["migrate", ..])
{
    await DataSetup.MigrateAsync(app.Services, CancellationToken.None);
    return;
}

app.UseRequestLocalization();
app.UseWhen(http => http.Request.Path.StartsWithSegments("/connect"), branch => branch.UseStatusCodePagesWithReExecute("/error"));
app.UseStaticFiles();
app.UseRouting();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapHubHosting();
app.MapProtocol();
app.MapSessions();
app.MapRazorPages();
app.Run();
