using System.Text;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace IdentityHub.BrowserTests;

/// <summary>axe-core on the page as it stands, limited to the WCAG 2.0 and 2.1 level A and AA rules.</summary>
internal static class Accessibility
{
    private static readonly string[] WcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

    public static async Task AssertNoWcagViolationsAsync(IPage page, string what)
    {
        var options = new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = [.. WcagTags] },
        };
        var result = await page.RunAxe(options);
        if (result.Violations.Length == 0)
        {
            return;
        }

        var message = new StringBuilder()
            .Append(what).Append(" (").Append(page.Url).Append(") has ").Append(result.Violations.Length)
            .AppendLine(" WCAG 2.1 A/AA violation(s) found by axe:");
        foreach (var violation in result.Violations)
        {
            message.Append("- ").Append(violation.Id).Append(" [").Append(violation.Impact).Append("] ").Append(violation.Help)
                .Append(" (").Append(violation.HelpUrl).AppendLine(")");
            foreach (var node in violation.Nodes)
            {
                message.Append("    at ").Append(node.Target).Append(": ").AppendLine(node.Html);
                var checks = (node.Any ?? []).Concat(node.All ?? []).Concat(node.None ?? []);
                foreach (var check in checks.Where(c => !string.IsNullOrWhiteSpace(c.Message)))
                {
                    message.Append("      ").AppendLine(check.Message.ReplaceLineEndings(" "));
                }
            }
        }
        Assert.Fail(message.ToString());
    }
}
