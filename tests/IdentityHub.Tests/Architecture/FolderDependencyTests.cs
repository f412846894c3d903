using System.Text;

namespace IdentityHub.Tests.Architecture;

/// <summary>
/// Every arrow between the feature folders of <c>src/IdentityHub</c> must be in the table below, so a dependency
/// that the layout forbids fails here instead of growing a cycle.
/// </summary>
public sealed class FolderDependencyTests
{
    // The layout and the arrows described in docs/design.md: folder → the folders it may use. The root folder
    // (Program.cs, SharedResource.cs) may use everything, and everything may use the root namespace.
    private static readonly Dictionary<string, string[]> MayUse = new(StringComparer.Ordinal)
    {
        ["Protocol"] = ["Login", "Subjects", "Sessions", "Consent", "Enterprises", "DataSharing", "Audit", "Data"],
        ["Login"] = ["IdentitySources", "Subjects", "Sessions", "Consent", "Enterprises", "DataSharing", "Audit", "Data"],
        // Two ways of signing in: never each other, never the protocol.
        ["Registry"] = ["Login", "IdentitySources", "Subjects", "Audit", "Data"],
        ["Federation"] = ["Login", "IdentitySources", "Subjects", "Audit", "Data"],
        ["IdentitySources"] = ["Data", "Subjects"],
        ["Subjects"] = ["Data", "Subjects"],
        ["Enterprises"] = ["Data", "Subjects"],
        ["Consent"] = ["Data", "Subjects", "Audit"],
        ["Sessions"] = ["Data", "Subjects", "Audit"],
        // Data providers, their scopes and the releases to them (docs/design.md, "Data sharing").
        ["DataSharing"] = ["Data", "Subjects", "Audit"],
        ["Audit"] = ["Data", "Subjects"],
        ["Hosting"] = ["Data"],
        ["Errors"] = [],
        ["Localization"] = [],
        ["Admin"] = ["Protocol", "Login", "Registry", "Federation", "IdentitySources", "Subjects", "Enterprises", "Consent", "Sessions", "DataSharing", "Audit", "Data"],
        // The person's own view of every feature that keeps something about them (the citizen dashboard).
        ["Account"] = ["Login", "Registry", "IdentitySources", "Subjects", "Enterprises", "Consent", "Sessions", "DataSharing", "Audit", "Data"],
        // The one DbContext, the entity configuration and the demo data see every entity.
        ["Data"] = ["Protocol", "Login", "Registry", "Federation", "IdentitySources", "Subjects", "Enterprises", "Consent", "Sessions", "DataSharing", "Audit"],
        ["Pages"] = [],
        ["Pages/Shared"] = [],
    };

    // Errors and Localization use no other folder, Hosting only Data: none leads from one feature to another, so every folder may use them.
    private static readonly string[] EveryFolderMayUse = ["Hosting", "Errors", "Localization"];

    // A page folder may use its screen's feature and whatever that feature may use, but no other page folder.
    private static readonly Dictionary<string, string> PageScreens = new(StringComparer.Ordinal)
    {
        ["Pages/Choose"] = "Login",
        ["Pages/Consent"] = "Login",
        ["Pages/ActingFor"] = "Login",
        ["Pages/Registry"] = "Registry",
        ["Pages/Error"] = "Login",
        ["Pages/Logout"] = "Sessions",
        ["Pages/Admin"] = "Admin",
        ["Pages/Account"] = "Account",
    };

    // The layout and the pages' shared parts.
    private static readonly string[] EveryPageMayUse = ["Pages", "Pages/Shared"];

    private static readonly FolderRules Rules = new(MayUse, EveryFolderMayUse, PageScreens, EveryPageMayUse);

    // Built once: binding the whole hub takes a few seconds.
    private static readonly Lazy<FolderScan> Hub = new(() => FolderDependencyChecker.Scan(FolderDependencyChecker.ReadHub(HubDirectory())));

    [Fact]
    public void SourceFolders_UseOnlyAllowedFolders()
    {
        var scan = Hub.Value;
        AssertNamesBind(scan);

        var missing = Rules.FoldersWithoutRow(scan);
        var forbidden = Rules.ForbiddenArrows(scan);

        Assert.True(missing.Count == 0 && forbidden.Count == 0, Describe(missing, forbidden));
    }

    [Fact]
    public void HubScan_KnownCrossFolderReference_IsBound()
    {
        AssertNamesBind(Hub.Value);
    }

    [Fact]
    public void SourceFiles_DeclareTheNamespaceOfTheirFolder()
    {
        var mismatches = Hub.Value.NamespaceMismatches;

        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches.Select(m => $"{m.File}:{m.Line} declares {m.Declared}; its folder is {m.Expected}")));
    }

    public static TheoryData<string> OldArrows => [.. OldArrowCases.Keys];

    /// <summary>Each arrow the hub had before its folders were reshaped, put back, must fail the check again.</summary>
    [Theory]
    [MemberData(nameof(OldArrows))]
    public void Checker_OldArrowPutBack_IsReported(string name)
    {
        var (expected, file, sources) = OldArrowCases[name];

        var forbidden = Rules.ForbiddenArrows(FolderDependencyChecker.Scan([.. MiniHub, new HubSource(file, sources)]));

        var arrow = Assert.Single(forbidden);
        Assert.Equal(expected, $"{arrow.From} → {arrow.To}");
        Assert.Equal(file, arrow.Example.File);
    }

    [Fact]
    public void Checker_AllowedReferences_ReportsNothingForbidden()
    {
        HubSource[] sources =
        [
            .. MiniHub,
            new("Protocol/Claims.cs", """
                using IdentityHub.Login;
                namespace IdentityHub.Protocol;
                internal static class Claims
                {
                    public static string Of(LoginJourney journey) => journey.ReturnUrl + Hosting.HubLimits.Max + nameof(SharedResource);
                }
                """),
            new("Pages/Choose/Index.cshtml.cs", """
                namespace IdentityHub.Pages.Choose;
                internal sealed class IndexModel(IdentityHub.Login.LoginJourney journey)
                {
                    public string Layout { get; } = Shared.LayoutNames.Main + journey.ReturnUrl;
                }
                """),
            new("Pages/Choose/Index.cshtml", """
                @model IdentityHub.Pages.Choose.IndexModel
                @using IdentityHub.Login
                <p>@IdentityHub.Pages.Shared.LayoutNames.Main</p>
                """),
            new("Program.cs", """
                using IdentityHub.Admin;
                var app = WebApplication.Create(args);
                app.UseAdminBodyLimit();
                """),
        ];

        var scan = FolderDependencyChecker.Scan(sources);

        Assert.Empty(Rules.ForbiddenArrows(scan));
        // The references were seen and allowed, not missed.
        Assert.Contains(scan.References, r => r is { From: "Protocol", To: "Login", IsDirective: false });
        Assert.Contains(scan.References, r => r is { From: "Protocol", To: "Hosting" });
        Assert.Contains(scan.References, r => r is { From: "Pages/Choose", To: "Pages/Shared", IsDirective: false });
        Assert.Contains(scan.References, r => r is { From: "Pages/Choose", To: "Pages/Shared", IsDirective: true });
        Assert.Contains(scan.References, r => r is { From: "", To: "Admin", IsDirective: false });
    }

    [Fact]
    public void Checker_FolderWithoutRow_IsReported()
    {
        var scan = FolderDependencyChecker.Scan(
        [
            .. MiniHub,
            new("Failures/ErrorCodes.cs", "namespace IdentityHub.Failures;\ninternal static class ErrorCodes;\n"),
            new("Pages/Problem/Index.cshtml", "<p>Problem</p>\n"),
        ]);

        Assert.Equal(["Failures", "Pages/Problem"], Rules.FoldersWithoutRow(scan));
    }

    public static TheoryData<string> Misplaced => [.. MisplacedCases.Keys];

    /// <summary>A file that declares another folder's namespace would escape the rules of its own folder.</summary>
    [Theory]
    [MemberData(nameof(Misplaced))]
    public void Checker_NamespaceOfAnotherFolder_IsReported(string name)
    {
        var (file, text, declared) = MisplacedCases[name];

        var mismatch = Assert.Single(FolderDependencyChecker.Scan([.. MiniHub, new HubSource(file, text)]).NamespaceMismatches);

        Assert.Equal(file, mismatch.File);
        Assert.Equal(declared, mismatch.Declared);
    }

    [Fact]
    public void Checker_NamespacesOfTheirFolders_ReportsNoMismatch()
    {
        var scan = FolderDependencyChecker.Scan(
        [
            .. MiniHub,
            new("Program.cs", "var app = WebApplication.Create(args);\napp.Run();\npublic partial class Program;\n"),
            new("SharedResource.cs", "namespace IdentityHub;\npublic sealed class SharedResource;\n"),
            new("Protocol/Handlers/Handler.cs", "namespace IdentityHub.Protocol.Handlers;\ninternal sealed class Handler;\n"),
            new("Pages/_ViewImports.cshtml", "@using IdentityHub\n@namespace IdentityHub.Pages\n"),
        ]);

        Assert.Empty(scan.NamespaceMismatches);
    }

    // Fails when names stop binding (a missing reference, a global using the compilation lacks): then every arrow
    // behind them would go unseen and the folder test would pass for nothing.
    private static void AssertNamesBind(FolderScan scan)
    {
        Assert.True(scan.UnresolvedNames.Count == 0, "Names that do not bind hide their arrows:\n" + string.Join('\n', scan.UnresolvedNames));
        // An extension method called without its namespace in the line: only the semantic model sees it.
        Assert.Contains(scan.References, r => r is { From: "", To: "Protocol", File: "Program.cs", IsDirective: false }
            && r.What.EndsWith("ProtocolSetup.AddProtocol", StringComparison.Ordinal));
    }

    private static string Describe(IReadOnlyList<string> missing, IReadOnlyList<ForbiddenArrow> forbidden)
    {
        var text = new StringBuilder();
        if (missing.Count > 0)
        {
            text.AppendLine("Folders that are not in the allowed table (add a row, or move their code to a folder it has):");
            foreach (var folder in missing)
            {
                text.Append("  ").AppendLine(folder);
            }
        }
        if (forbidden.Count > 0)
        {
            text.AppendLine("Forbidden arrows (move the type or member named, or the code that uses it):");
            foreach (var arrow in forbidden)
            {
                var more = arrow.Places > 1 ? $" (and {arrow.Places - 1} more)" : string.Empty;
                text.Append("  ").Append(arrow.From).Append(" → ").Append(arrow.To).Append(": ")
                    .Append(arrow.Example.File).Append(':').Append(arrow.Example.Line).Append(' ').Append(arrow.Example.What)
                    .AppendLine(more);
            }
        }
        return text.ToString();
    }

    private static string HubDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "IdentityHub.sln")))
            {
                return Path.Combine(directory.FullName, "src", "IdentityHub");
            }
        }
        throw new InvalidOperationException($"No IdentityHub.sln above {AppContext.BaseDirectory}.");
    }

    // Small stand-ins for what the old arrows pointed at, each in its own folder and using no other folder.
    private static readonly HubSource[] MiniHub =
    [
        new("SharedResource.cs", "namespace IdentityHub;\npublic sealed class SharedResource;\n"),
        new("Protocol/HubScopes.cs", """
            namespace IdentityHub.Protocol;
            public static class HubScopes
            {
                public const string Birth = "birth";
                public static string[] Supported { get; } = [Birth];
            }
            [AttributeUsage(AttributeTargets.Class)]
            internal sealed class ReleasedAttribute : Attribute;
            """),
        new("Protocol/MetadataCache.cs", """
            namespace IdentityHub.Protocol;
            internal sealed class MetadataCache
            {
                public Task InvokeAsync(HttpContext http, RequestDelegate next) => next(http);
            }
            """),
        new("Admin/AdminSetup.cs", """
            namespace IdentityHub.Admin;
            internal static class AdminSetup
            {
                public const string Scope = "hub.admin";
                public static IApplicationBuilder UseAdminBodyLimit(this IApplicationBuilder app) => app;
            }
            """),
        new("Login/LoginJourney.cs", "namespace IdentityHub.Login;\npublic sealed record LoginJourney(string ReturnUrl);\n"),
        new("Registry/PasswordSignIn.cs", """
            namespace IdentityHub.Registry;
            internal static class PasswordSignIn
            {
                public const string Level = "low";
            }
            """),
        new("Hosting/HubLimits.cs", "namespace IdentityHub.Hosting;\ninternal static class HubLimits\n{\n    public const int Max = 1;\n}\n"),
        new("Pages/Shared/LayoutNames.cs", "namespace IdentityHub.Pages.Shared;\ninternal static class LayoutNames\n{\n    public const string Main = \"_Layout\";\n}\n"),
        new("Pages/Registry/SignIn.cshtml.cs", "namespace IdentityHub.Pages.Registry;\ninternal sealed class SignInModel;\n"),
    ];

    // Name → (the arrow, the file that makes it, that file's text).
    private static readonly Dictionary<string, (string Arrow, string File, string Text)> OldArrowCases = new(StringComparer.Ordinal)
    {
        ["Subjects→Protocol, using"] = ("Subjects → Protocol", "Subjects/PersonClaims.cs", """
            using IdentityHub.Protocol;
            namespace IdentityHub.Subjects;
            internal static class PersonClaims
            {
                public static bool Birth(ISet<string> granted) => granted.Contains(HubScopes.Birth);
            }
            """),
        ["Subjects→Protocol, qualified"] = ("Subjects → Protocol", "Subjects/PersonClaims.cs", """
            namespace IdentityHub.Subjects;
            internal static class PersonClaims
            {
                public static bool Birth(ISet<string> granted) => granted.Contains(Protocol.HubScopes.Birth);
            }
            """),
        ["Protocol→Admin, using"] = ("Protocol → Admin", "Protocol/ProtocolSetup.cs", """
            using IdentityHub.Admin;
            namespace IdentityHub.Protocol;
            internal static class ProtocolSetup
            {
                public static string[] Scopes() => [.. HubScopes.Supported, AdminSetup.Scope];
            }
            """),
        ["Protocol→Admin, qualified"] = ("Protocol → Admin", "Protocol/ProtocolSetup.cs", """
            namespace IdentityHub.Protocol;
            internal static class ProtocolSetup
            {
                public static string[] Scopes() => [.. HubScopes.Supported, Admin.AdminSetup.Scope];
            }
            """),
        ["Hosting→Protocol, using"] = ("Hosting → Protocol", "Hosting/HostingSetup.cs", """
            using IdentityHub.Protocol;
            namespace IdentityHub.Hosting;
            internal static class HostingSetup
            {
                public static void UseHubPipeline(WebApplication app) => app.Use(app.Services.GetRequiredService<MetadataCache>().InvokeAsync);
            }
            """),
        ["Hosting→Protocol, qualified"] = ("Hosting → Protocol", "Hosting/HostingSetup.cs", """
            namespace IdentityHub.Hosting;
            internal static class HostingSetup
            {
                public static void UseHubPipeline(WebApplication app) => app.Use(app.Services.GetRequiredService<Protocol.MetadataCache>().InvokeAsync);
            }
            """),
        ["Hosting→Admin, using"] = ("Hosting → Admin", "Hosting/HostingSetup.cs", """
            using IdentityHub.Admin;
            namespace IdentityHub.Hosting;
            internal static class HostingSetup
            {
                public static void UseHubPipeline(WebApplication app) => app.UseAdminBodyLimit();
            }
            """),
        ["Hosting→Admin, qualified"] = ("Hosting → Admin", "Hosting/HostingSetup.cs", """
            namespace IdentityHub.Hosting;
            internal static class HostingSetup
            {
                public static void UseHubPipeline(WebApplication app) => Admin.AdminSetup.UseAdminBodyLimit(app);
            }
            """),
        ["IdentitySources→Login, using"] = ("IdentitySources → Login", "IdentitySources/SourceCatalog.cs", """
            using IdentityHub.Login;
            namespace IdentityHub.IdentitySources;
            internal static class SourceCatalog
            {
                public static string StartUrl(LoginJourney journey) => journey.ReturnUrl;
            }
            """),
        ["IdentitySources→Login, qualified"] = ("IdentitySources → Login", "IdentitySources/SourceCatalog.cs", """
            namespace IdentityHub.IdentitySources;
            internal static class SourceCatalog
            {
                public static string StartUrl(Login.LoginJourney journey) => journey.ReturnUrl;
            }
            """),
        ["IdentitySources→Registry, using"] = ("IdentitySources → Registry", "IdentitySources/SourceCatalog.cs", """
            using IdentityHub.Registry;
            namespace IdentityHub.IdentitySources;
            internal static class SourceCatalog
            {
                public static string Reachable() => PasswordSignIn.Level;
            }
            """),
        ["IdentitySources→Registry, qualified"] = ("IdentitySources → Registry", "IdentitySources/SourceCatalog.cs", """
            namespace IdentityHub.IdentitySources;
            internal static class SourceCatalog
            {
                public static string Reachable() => Registry.PasswordSignIn.Level;
            }
            """),
        // A using nothing in the file needs yet is the first step of the next arrow.
        ["unused using"] = ("Subjects → Protocol", "Subjects/Person.cs", """
            using IdentityHub.Protocol;
            namespace IdentityHub.Subjects;
            internal sealed class Person;
            """),
        // The compiler copies a constant into the caller: the compiled hub keeps no trace of where it came from.
        ["inlined constant"] = ("Subjects → Protocol", "Subjects/PersonClaims.cs", """
            namespace IdentityHub.Subjects;
            internal static class PersonClaims
            {
                public const string BirthScope = IdentityHub.Protocol.HubScopes.Birth;
                public static bool Releases(string scope) => scope switch { global::IdentityHub.Protocol.HubScopes.Birth => true, _ => false };
            }
            """),
        ["attribute"] = ("Subjects → Protocol", "Subjects/Person.cs", """
            namespace IdentityHub.Subjects;
            [Protocol.Released]
            internal sealed class Person;
            """),
        ["nameof"] = ("Subjects → Protocol", "Subjects/Person.cs", """
            namespace IdentityHub.Subjects;
            internal sealed class Person
            {
                public const string Scopes = nameof(Protocol.HubScopes);
            }
            """),
        ["using static"] = ("Subjects → Protocol", "Subjects/Person.cs", """
            using static IdentityHub.Protocol.HubScopes;
            namespace IdentityHub.Subjects;
            internal sealed class Person;
            """),
        ["using alias"] = ("Subjects → Protocol", "Subjects/Person.cs", """
            using Scopes = IdentityHub.Protocol.HubScopes;
            namespace IdentityHub.Subjects;
            internal sealed class Person;
            """),
        ["global using"] = ("Subjects → Protocol", "Subjects/Usings.cs", "global using IdentityHub.Protocol;\n"),
        ["using of a folder that does not exist yet"] = ("Hosting → Consent", "Hosting/HubOptions.cs", """
            using IdentityHub.Consent;
            namespace IdentityHub.Hosting;
            internal sealed class HubOptions;
            """),
        ["page to another page's model"] = ("Pages/Choose → Pages/Registry", "Pages/Choose/Index.cshtml.cs", """
            namespace IdentityHub.Pages.Choose;
            internal sealed class IndexModel
            {
                public Registry.SignInModel? SignIn { get; set; }
            }
            """),
        ["Razor @using"] = ("Pages/Registry → Sessions", "Pages/Registry/SignIn.cshtml", "@using IdentityHub.Sessions\n<p>Sign in</p>\n"),
        ["Razor @inject"] = ("Pages/Logout → Protocol", "Pages/Logout/Index.cshtml", "@inject IdentityHub.Protocol.MetadataCache Cache\n<p>Bye</p>\n"),
        ["Razor markup"] = ("Pages/Logout → Admin", "Pages/Logout/Index.cshtml", "<input name=\"@IdentityHub.Admin.AdminSetup.Scope\" />\n"),
    };

    // Name → (the file, its text, the namespace it wrongly declares).
    private static readonly Dictionary<string, (string File, string Text, string Declared)> MisplacedCases = new(StringComparer.Ordinal)
    {
        ["another folder's namespace"] = ("Hosting/Cache.cs", "namespace IdentityHub.Protocol;\ninternal sealed class Cache;\n", "IdentityHub.Protocol"),
        ["the parent folder's namespace"] = ("Pages/Registry/Input.cs", "namespace IdentityHub.Pages;\ninternal sealed class Input;\n", "IdentityHub.Pages"),
        ["nested block namespaces"] = ("Protocol/Old.cs", "namespace IdentityHub\n{\n    namespace Admin\n    {\n        internal sealed class Old;\n    }\n}\n", "IdentityHub.Admin"),
        ["no namespace"] = ("Subjects/Loose.cs", "internal sealed class Loose;\n", "(global namespace)"),
        ["Razor @namespace"] = ("Pages/Choose/_ViewImports.cshtml", "@namespace IdentityHub.Login\n", "IdentityHub.Login"),
    };
}
