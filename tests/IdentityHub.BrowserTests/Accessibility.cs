using System.Text;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace IdentityHub.BrowserTests;

/// <summary>axe-core on the page as it stands, limited to the WCAG 2.0 and 2.1 level A and AA rules.</summary>
internal static class Accessibility
{
    private static readonly string[] WcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

    /// <summary>
    /// WCAG 2.1 success criterion 1.4.10 (Reflow), which axe does not check: at 320 CSS pixels wide (a 1280-pixel window
    /// at 400 % zoom) nothing may stick out sideways, so that reading needs no horizontal scrolling. The viewport is
    /// restored afterwards.
    /// </summary>
    public static async Task AssertReflowsAt320PixelsAsync(IPage page, string what)
    {
        var viewport = page.ViewportSize ?? throw new InvalidOperationException("The page has no fixed viewport.");
        await page.SetViewportSizeAsync(320, 640);
        try
        {
            // The innermost elements that stick out or whose content does (a form field scrolling its own text is allowed).
            var overflowing = await page.EvaluateAsync<string[]>("""
                () => {
                    const limit = document.documentElement.clientWidth + 0.5;
                    const overflows = e => e.getBoundingClientRect().right > limit
                        || (!['INPUT', 'TEXTAREA', 'SELECT'].includes(e.tagName) && e.scrollWidth > e.clientWidth + 1);
                    return [...document.body.querySelectorAll('*')]
                        .filter(e => overflows(e) && ![...e.children].some(overflows))
                        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' "' + (e.textContent ?? '').trim().slice(0, 60) + '"');
                }
                """);
            var width = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            if (width > 320 || overflowing.Length > 0)
            {
                Assert.Fail($"{what} ({page.Url}) is {width} CSS pixels wide at a 320-pixel viewport (WCAG 1.4.10 Reflow); sticking out: "
                    + string.Join(" | ", overflowing));
            }
        }
        finally
        {
            await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
        }
    }

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
