using System.Collections;
using System.Globalization;
using System.Resources;
using IdentityHub.Errors;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IdentityHub.Tests.Errors;

/// <summary>One table of error codes: each with its message in every language, and no code written anywhere else.</summary>
public sealed partial class ErrorTableTests
{
    [Fact]
    public void Codes_AreUniqueAndFound()
    {
        Assert.Equal(HubErrors.All.Count, HubErrors.All.Select(e => e.Code).Distinct(StringComparer.Ordinal).Count());
        Assert.All(HubErrors.All, error => Assert.Same(error, HubErrors.Find(error.Code)));
        Assert.Null(HubErrors.Find("no_such_code"));
    }

    [Theory]
    [InlineData("vi")]
    [InlineData("en")]
    [InlineData("fr")]
    public void EveryError_HasItsMessage_InEachLanguage(string language)
    {
        var resources = new ResourceManager("IdentityHub.Resources.SharedResource", typeof(SharedResource).Assembly);
        // vi is the neutral language, kept in the hub's own assembly; en and fr in satellites. No fallback between them.
        var set = resources.GetResourceSet(language == "vi" ? CultureInfo.InvariantCulture : new CultureInfo(language), createIfNotExists: true, tryParents: false);
        Assert.NotNull(set);
        var keys = set.Cast<DictionaryEntry>().Select(e => (string)e.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var key in HubErrors.All.Select(e => e.MessageKey).Concat(["Error.Code", "Error.TraceId", "Error.BackToService", "Error.ChooseAgain"]))
        {
            Assert.True(keys.Contains(key), $"{key} has no {language} text.");
        }
    }

    [Fact]
    public void ErrorCodes_AreWrittenOnlyInTheTable()
    {
        var codes = HubErrors.All.Select(e => e.Code).ToHashSet(StringComparer.Ordinal);
        var root = Path.Combine(RepositoryRoot(), "src", "IdentityHub");
        var table = Path.Combine(root, "Errors", "HubErrors.cs");
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => f != table && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            // Every piece of string text, whole literals and the text of interpolated strings ("/error/server_error").
            var tree = CSharpSyntaxTree.ParseText(File.ReadAllText(file), path: file);
            var texts = tree.GetRoot().DescendantNodes().OfType<LiteralExpressionSyntax>()
                .Where(l => l.IsKind(SyntaxKind.StringLiteralExpression)).Select(l => ((SyntaxNode)l, l.Token.ValueText))
                .Concat(tree.GetRoot().DescendantNodes().OfType<InterpolatedStringTextSyntax>().Select(t => ((SyntaxNode)t, t.TextToken.ValueText)));
            found.AddRange(texts
                // A one-word code ("cancelled") is also a word of prose: only the whole text counts for it.
                .Where(t => codes.Contains(t.Item2) || Words().Matches(t.Item2).Any(w => w.Value.Contains('_', StringComparison.Ordinal) && codes.Contains(w.Value)))
                .Select(t => $"{Path.GetRelativePath(root, file)}:{t.Item1.GetLocation().GetLineSpan().StartLinePosition.Line + 1} \"{t.Item2}\""));
        }
        foreach (var file in Directory.EnumerateFiles(root, "*.cshtml", SearchOption.AllDirectories))
        {
            found.AddRange(codes.Where(code => File.ReadAllText(file).Contains($"\"{code}\"", StringComparison.Ordinal))
                .Select(code => $"{Path.GetRelativePath(root, file)} \"{code}\""));
        }
        Assert.True(found.Count == 0, "Error codes written outside Errors/HubErrors.cs:\n" + string.Join('\n', found));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "IdentityHub.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("The repository root (IdentityHub.sln) was not found.");
    }

    /// <summary>The snake_case words of a text: an error code stands in it as one.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("[a-z]+(_[a-z]+)*")]
    private static partial System.Text.RegularExpressions.Regex Words();
}
