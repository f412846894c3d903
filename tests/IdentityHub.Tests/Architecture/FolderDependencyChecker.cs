using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IdentityHub.Tests.Architecture;

/// <summary>One source file of the hub: its path relative to <c>src/IdentityHub</c>, with <c>/</c> between folders.</summary>
internal sealed record HubSource(string Path, string Text);

/// <summary>A place where code of one folder names something declared in another folder's namespace.</summary>
/// <param name="From">The folder of the file (<c>""</c> for the hub's root folder).</param>
/// <param name="To">The folder whose namespace declares what is named.</param>
/// <param name="What">The symbol the name binds to, or the using or Razor directive that names the namespace.</param>
/// <param name="IsDirective">A using line or Razor text rather than a name bound in code.</param>
internal sealed record FolderReference(string From, string To, string File, int Line, string What, bool IsDirective);

/// <summary>A file whose namespace is not the one its folder gives: its types would dodge the folder rules.</summary>
internal sealed record NamespaceMismatch(string File, int Line, string Declared, string Expected);

/// <summary>What the checker found in one set of sources.</summary>
internal sealed record FolderScan(
    IReadOnlyCollection<string> Folders,
    IReadOnlyList<FolderReference> References,
    IReadOnlyList<NamespaceMismatch> NamespaceMismatches,
    IReadOnlyList<string> UnresolvedNames);

/// <summary>
/// Finds every arrow between the hub's folders: using lines, and every name in code that the compiler binds to a
/// type, member or namespace of another folder (which also catches constants the compiler inlines, extension methods,
/// attributes and <c>nameof</c>, none of which an IL scan or a text search sees reliably). Razor views are not C#
/// and are read as text.
/// </summary>
internal static partial class FolderDependencyChecker
{
    public const string RootNamespace = "IdentityHub";

    // What the Web SDK adds to every file of the hub as implicit global usings.
    private static readonly string[] ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
        "System.Threading", "System.Threading.Tasks", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    // Compiler errors that mean a name did not bind: an arrow behind such a name would go unseen.
    private static readonly HashSet<string> UnboundNameErrors = new(StringComparer.Ordinal) { "CS0103", "CS0117", "CS0234", "CS0246", "CS1061" };

    private static readonly SymbolDisplayFormat SymbolFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        memberOptions: SymbolDisplayMemberOptions.IncludeContainingType);

    private static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default
        .WithLanguageVersion(LanguageVersion.Latest)
        .WithPreprocessorSymbols("NET", "NET10_0", "NET10_0_OR_GREATER", "NETCOREAPP");

    // The platform and every package the test project runs with, which include the hub's own packages. The hub's
    // and the tests' assemblies are left out: the hub's types must come from the sources being checked. Every scan
    // adds its files to this one compilation, so the referenced assemblies are read once.
    private static readonly Lazy<CSharpCompilation> Empty = new(() => CSharpCompilation.Create(
        RootNamespace,
        [CSharpSyntaxTree.ParseText(string.Concat(ImplicitUsings.Select(u => $"global using global::{u};\n")), ParseOptions, "ImplicitUsings.g.cs")],
        ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => !Path.GetFileName(path).StartsWith(RootNamespace, StringComparison.Ordinal))
            .Select(path => MetadataReference.CreateFromFile(path)),
        new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable)));

    /// <summary>Reads every C# and Razor file of the hub, leaving out build output and EF Core migrations.</summary>
    public static IReadOnlyList<HubSource> ReadHub(string hubDirectory)
    {
        static bool Excluded(string relative) =>
            relative.StartsWith("bin/", StringComparison.Ordinal)
            || relative.StartsWith("obj/", StringComparison.Ordinal)
            || relative.StartsWith("Data/Migrations/", StringComparison.Ordinal);

        return [.. Directory.EnumerateFiles(hubDirectory, "*", SearchOption.AllDirectories)
            .Where(path => path.EndsWith(".cs", StringComparison.Ordinal) || path.EndsWith(".cshtml", StringComparison.Ordinal))
            .Select(path => (Path: path, Relative: Path.GetRelativePath(hubDirectory, path).Replace('\\', '/')))
            .Where(file => !Excluded(file.Relative))
            .OrderBy(file => file.Relative, StringComparer.Ordinal)
            .Select(file => new HubSource(file.Relative, File.ReadAllText(file.Path)))];
    }

    /// <summary>The folder a file belongs to: its top-level folder, or <c>Pages/&lt;screen&gt;</c> under Pages.</summary>
    public static string FolderOf(string path) => FolderKey(path.Split('/')[..^1]);

    /// <summary>The folder a namespace of the hub belongs to, or null for a namespace outside the hub.</summary>
    public static string? FolderOfNamespace(string ns)
    {
        if (ns == RootNamespace)
        {
            return string.Empty;
        }
        return ns.StartsWith(RootNamespace + ".", StringComparison.Ordinal)
            ? FolderKey(ns[(RootNamespace.Length + 1)..].Split('.'))
            : null;
    }

    /// <summary>The namespace a file of that folder must declare.</summary>
    public static string NamespaceOfDirectory(string path) =>
        string.Join('.', [RootNamespace, .. path.Split('/')[..^1]]);

    public static FolderScan Scan(IReadOnlyList<HubSource> sources)
    {
        var csharp = sources.Where(s => s.Path.EndsWith(".cs", StringComparison.Ordinal)).ToList();
        var trees = csharp.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, s.Path)).ToList();
        var compilation = Empty.Value.AddSyntaxTrees(trees);

        // Binding is most of the time, and files bind independently of each other.
        var references = trees.AsParallel().AsOrdered()
            .SelectMany(tree => ScanCode(tree, compilation.GetSemanticModel(tree)))
            .ToList();
        var mismatches = trees.SelectMany(CheckNamespaces).ToList();
        foreach (var razor in sources.Where(s => s.Path.EndsWith(".cshtml", StringComparison.Ordinal)))
        {
            ScanRazor(razor, compilation, references, mismatches);
        }

        // Generated code (LoggerMessage, Razor views) is missing, so some errors are expected; a name that does not
        // bind for another reason hides what it refers to.
        var unresolved = compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && UnboundNameErrors.Contains(d.Id))
            .Select(d => $"{Where(d.Location)}: {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}")
            .ToList();
        var folders = sources.Select(s => FolderOf(s.Path)).ToHashSet(StringComparer.Ordinal);
        return new FolderScan(folders, references, mismatches, unresolved);
    }

    private static string FolderKey(string[] segments) => segments switch
    {
        [] => string.Empty,
        ["Pages", var screen, ..] => "Pages/" + screen,
        [var folder, ..] => folder,
    };

    private static List<FolderReference> ScanCode(SyntaxTree tree, SemanticModel model)
    {
        var references = new List<FolderReference>();
        var from = FolderOf(tree.FilePath);
        var root = tree.GetRoot();
        foreach (var node in root.DescendantNodes())
        {
            if (node is not (SimpleNameSyntax or QualifiedNameSyntax or AliasQualifiedNameSyntax or MemberAccessExpressionSyntax))
            {
                continue;
            }
            // The right-hand name of A.B binds to what A.B binds to, which is looked at already.
            if (node.Parent is QualifiedNameSyntax { Right: var right } && right == node
                || node.Parent is MemberAccessExpressionSyntax { Name: var name } && name == node
                || node.Parent is AliasQualifiedNameSyntax { Name: var aliased } && aliased == node)
            {
                continue;
            }
            // A namespace declaration is the file's own namespace: the namespace rule checks it.
            if (node.Ancestors().Any(a => a is BaseNamespaceDeclarationSyntax ns && ns.Name.Span.Contains(node.Span)))
            {
                continue;
            }
            var directive = node.FirstAncestorOrSelf<UsingDirectiveSyntax>();
            var info = model.GetSymbolInfo(node);
            var symbols = info.Symbol is { } bound ? [bound] : info.CandidateSymbols;
            foreach (var symbol in symbols)
            {
                if (HubFolderOf(symbol) is { Length: > 0 } to && to != from)
                {
                    var what = directive?.ToString() ?? Display(symbol);
                    references.Add(new FolderReference(from, to, tree.FilePath, Line(node.GetLocation()), what, directive is not null));
                }
            }
        }

        // A using of a namespace that does not exist yet binds to nothing, and is still an arrow.
        foreach (var directive in root.DescendantNodes().OfType<UsingDirectiveSyntax>())
        {
            var line = Line(directive.GetLocation());
            if (references.Any(r => r.Line == line && r.IsDirective))
            {
                continue;
            }
            foreach (var name in directive.NamespaceOrType.DescendantNodesAndSelf().OfType<QualifiedNameSyntax>().Where(q => q.Parent is not QualifiedNameSyntax))
            {
                var dotted = name.ToString().Replace("global::", string.Empty, StringComparison.Ordinal);
                if (FolderOfDottedName(model.Compilation, dotted) is { Length: > 0 } to && to != from)
                {
                    references.Add(new FolderReference(from, to, tree.FilePath, line, directive.ToString(), IsDirective: true));
                }
            }
        }
        return references;
    }

    private static List<NamespaceMismatch> CheckNamespaces(SyntaxTree tree)
    {
        var mismatches = new List<NamespaceMismatch>();
        var expected = NamespaceOfDirectory(tree.FilePath);
        var isRoot = FolderOf(tree.FilePath).Length == 0;
        var root = (CompilationUnitSyntax)tree.GetRoot();
        foreach (var ns in root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>())
        {
            // Nested block namespaces add up: namespace IdentityHub { namespace Protocol { } }.
            var declared = string.Join('.', ns.AncestorsAndSelf().OfType<BaseNamespaceDeclarationSyntax>().Reverse().Select(n => n.Name.ToString()));
            var holdsOnlyNamespaces = ns.Members.Count > 0 && ns.Members.All(m => m is BaseNamespaceDeclarationSyntax);
            if (!holdsOnlyNamespaces && declared != expected)
            {
                mismatches.Add(new NamespaceMismatch(tree.FilePath, Line(ns.Name.GetLocation()), declared, expected));
            }
        }
        // Types outside any namespace are in no folder's namespace; only the root may have them (Program).
        if (!isRoot && root.Members.FirstOrDefault(m => m is not (BaseNamespaceDeclarationSyntax or GlobalStatementSyntax)) is { } outside)
        {
            mismatches.Add(new NamespaceMismatch(tree.FilePath, Line(outside.GetLocation()), "(global namespace)", expected));
        }
        return mismatches;
    }

    private static void ScanRazor(HubSource razor, Compilation compilation, List<FolderReference> references, List<NamespaceMismatch> mismatches)
    {
        var from = FolderOf(razor.Path);
        var lines = razor.Text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (RazorNamespace().Match(line) is { Success: true } ns)
            {
                // Razor adds the sub-folders below the file to the namespace it declares.
                var expected = NamespaceOfDirectory(razor.Path);
                if (ns.Groups["name"].Value != expected)
                {
                    mismatches.Add(new NamespaceMismatch(razor.Path, i + 1, ns.Groups["name"].Value, expected));
                }
                continue;
            }
            // @using, @model, @inject and any qualified name in markup or code blocks.
            foreach (Match name in HubName().Matches(line))
            {
                if (FolderOfDottedName(compilation, name.Groups["name"].Value) is { Length: > 0 } to && to != from)
                {
                    references.Add(new FolderReference(from, to, razor.Path, i + 1, line.Trim(), IsDirective: true));
                }
            }
        }
    }

    /// <summary>
    /// The folder of a dotted name read as text: the deepest namespace of the compilation it walks through, or, when
    /// the next part is not a type there, the namespace it names even if that does not exist yet.
    /// </summary>
    private static string? FolderOfDottedName(Compilation compilation, string dotted)
    {
        var parts = dotted.Split('.');
        if (parts[0] != RootNamespace)
        {
            return null;
        }
        INamespaceSymbol? ns = compilation.GlobalNamespace.GetNamespaceMembers().FirstOrDefault(n => n.Name == RootNamespace);
        var depth = 1;
        while (ns is not null && depth < parts.Length && ns.GetNamespaceMembers().FirstOrDefault(n => n.Name == parts[depth]) is { } inner)
        {
            ns = inner;
            depth++;
        }
        var isType = ns is not null && depth < parts.Length && !ns.GetTypeMembers(parts[depth]).IsEmpty;
        var length = depth < parts.Length && !isType ? depth + 1 : depth;
        return FolderOfNamespace(string.Join('.', parts[..length]));
    }

    private static string? HubFolderOf(ISymbol symbol)
    {
        var ns = symbol as INamespaceSymbol ?? symbol.ContainingNamespace;
        return ns is null || ns.IsGlobalNamespace ? null : FolderOfNamespace(ns.ToDisplayString());
    }

    private static string Display(ISymbol symbol) =>
        (symbol is IMethodSymbol { ReducedFrom: { } extension } ? extension : symbol).ToDisplayString(SymbolFormat);

    private static int Line(Location location) => location.GetLineSpan().StartLinePosition.Line + 1;

    private static string Where(Location location) => $"{location.SourceTree?.FilePath}:{Line(location)}";

    [GeneratedRegex(@"^\s*@namespace\s+(?<name>[\w.]+)")]
    private static partial Regex RazorNamespace();

    [GeneratedRegex(@"(?<![\w.])(?:global::)?(?<name>IdentityHub(?:\.\w+)+)")]
    private static partial Regex HubName();
}

/// <summary>An arrow the table does not allow: how many places make it, and the first one to look at.</summary>
internal sealed record ForbiddenArrow(string From, string To, FolderReference Example, int Places);

/// <summary>The allowed arrows between folders, and which arrows of a scan they forbid.</summary>
internal sealed class FolderRules
{
    private readonly Dictionary<string, HashSet<string>> _mayUse = new(StringComparer.Ordinal);

    /// <param name="table">Folder → the folders it may use.</param>
    /// <param name="everyFolderMayUse">Folders that use no feature folder, so every folder may use them.</param>
    /// <param name="pageScreens">Page folder → the feature of its screen: it may use that feature and what the feature may use.</param>
    /// <param name="everyPageMayUse">Page folders that every page folder may use.</param>
    public FolderRules(
        IReadOnlyDictionary<string, string[]> table,
        IReadOnlyCollection<string> everyFolderMayUse,
        IReadOnlyDictionary<string, string> pageScreens,
        IReadOnlyCollection<string> everyPageMayUse)
    {
        foreach (var (folder, uses) in table)
        {
            _mayUse[folder] = [folder, .. uses, .. everyFolderMayUse];
        }
        foreach (var (page, screen) in pageScreens)
        {
            _mayUse[page] = [page, screen, .. table[screen], .. everyFolderMayUse];
        }
        foreach (var (folder, uses) in _mayUse)
        {
            if (IsPage(folder))
            {
                uses.UnionWith(everyPageMayUse);
            }
        }
    }

    /// <summary>The root folder (Program.cs, SharedResource.cs) wires everything together and needs no row.</summary>
    public bool HasRow(string folder) => folder.Length == 0 || _mayUse.ContainsKey(folder);

    public bool Allows(string from, string to) =>
        from.Length == 0 || to.Length == 0 || (_mayUse.TryGetValue(from, out var uses) && uses.Contains(to));

    /// <summary>Folders with code but no row: their arrows cannot be judged until the table has them.</summary>
    public IReadOnlyList<string> FoldersWithoutRow(FolderScan scan) =>
        [.. scan.Folders.Where(f => !HasRow(f)).Order(StringComparer.Ordinal)];

    public IReadOnlyList<ForbiddenArrow> ForbiddenArrows(FolderScan scan) =>
        [.. scan.References
            .Where(r => HasRow(r.From) && !Allows(r.From, r.To))
            .GroupBy(r => (r.From, r.To))
            .Select(arrow => new ForbiddenArrow(
                arrow.Key.From,
                arrow.Key.To,
                // A name bound in code says what to move better than the using line above it.
                arrow.OrderBy(r => r.IsDirective).ThenBy(r => r.File, StringComparer.Ordinal).ThenBy(r => r.Line).First(),
                arrow.Select(r => (r.File, r.Line)).Distinct().Count()))
            .OrderBy(a => a.From, StringComparer.Ordinal)
            .ThenBy(a => a.To, StringComparer.Ordinal)];

    private static bool IsPage(string folder) =>
        folder == "Pages" || folder.StartsWith("Pages/", StringComparison.Ordinal);
}
