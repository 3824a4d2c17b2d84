"""An accessibility check of a page with axe-core, installed from npm, in the page itself.

``await axe_violations(page)`` evaluates ``node_modules/axe-core/axe.min.js`` in the page
(read from disk: no request leaves the test, and the page's CSP does not stand in the way),
runs it, and returns axe's violations whose impact is serious or critical, each as axe
reports it (``id``, ``impact``, ``help``, ``helpUrl``, ``nodes`` with ``target``, ``html``
and ``failureSummary``).
``await assert_no_axe_violations(page, "Queues")`` fails with them written out readably.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Frame, Page

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

SERIOUS = ("serious", "critical")

# Rules run: WCAG 2.0/2.1 A and AA plus axe's best practices, as sa11y (lwc-recipes) does.
RUN_OPTIONS: dict[str, Any] = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


async def _inject(page: Page | Frame) -> None:
    """axe.min.js evaluated in the page through the DevTools protocol.

    Not ``page.add_script_tag(path=...)``: that adds an inline ``<script>``, which every SIVO
    page's CSP refuses (no 'unsafe-inline'), leaving a console error the browser tests count
    as a problem. CSP does not govern what the DevTools protocol evaluates.
    """
    await page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")


async def axe_violations(
    page: Page | Frame, *, context: str | None = None, impacts: tuple[str, ...] = SERIOUS
) -> list[dict[str, Any]]:
    """axe-core's violations of ``page`` (or of the CSS selector ``context`` in it) whose
    impact is one of ``impacts``: serious or critical by default."""
    if not AXE_JS.is_file():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `npm ci` (axe-core is in package.json)")
    loaded = await page.evaluate("() => typeof window.axe !== 'undefined'")
    if not loaded:
        await _inject(page)
    result: dict[str, Any] = await page.evaluate(
        "([context, options]) => window.axe.run(context ?? document, options)",
        [context, RUN_OPTIONS],
    )
    return [v for v in result["violations"] if v.get("impact") in impacts]


def format_violations(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violation: impact, rule, what it asks, and each element with why."""
    lines: list[str] = []
    for v in violations:
        lines.append(f"[{v.get('impact')}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v.get("nodes", []):
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    at {target}")
            html = node.get("html", "")
            if html:
                lines.append(f"       {html[:200]}")
            summary = (node.get("failureSummary") or "").strip().replace("\n", "\n       ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


async def assert_no_axe_violations(
    page: Page | Frame, name: str, *, context: str | None = None
) -> None:
    """Fail with every serious or critical axe violation of ``page``, written out."""
    violations = await axe_violations(page, context=context)
    assert not violations, (
        f"axe-core: {len(violations)} serious/critical violation(s) on {name}:\n"
        + format_violations(violations)
    )
