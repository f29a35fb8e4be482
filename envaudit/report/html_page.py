"""The page every HTML report is: one self-contained file, opened offline in any browser.

No network and no CDN: the CSS and the little JavaScript are inline, and the page's Content
Security Policy allows exactly those two blocks (by their SHA-256) and nothing else: no other
script, no style attribute, no request anywhere. Every value from a target is escaped on its way
in (``textsafe.html_text``); the policy is there in case one ever is not.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from envaudit.textsafe import html_text as esc

CSS = """
:root { color-scheme: light dark; --error: #d1242f; --warning: #bf8700; --info: #57606a;
  --error-bg: #ffebe9; --warning-bg: #fff8c5; --info-bg: #eef1f4; --line: #d0d7de; }
@media (prefers-color-scheme: dark) { :root { --error-bg: #4a1d20; --warning-bg: #3d3206;
  --info-bg: #262c33; --line: #3d444d; } }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 1rem 2rem; max-width: 110rem; }
h1 { font-size: 1.5rem; margin: .2rem 0; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.summary { font-weight: 600; } .passed { color: #1a7f37; } .failed { color: var(--error); }
ul.facts { padding-left: 1.2rem; } code, td.v { font-family: ui-monospace, monospace; }
.scroll { overflow: auto; max-height: 75vh; border: 1px solid var(--line); }
table { border-collapse: collapse; } th, td { border: 1px solid var(--line); padding: .2rem .45rem;
  text-align: left; vertical-align: top; white-space: nowrap; }
thead th { position: sticky; top: 0; background: Canvas; z-index: 1; }
th.pkg { position: sticky; left: 0; background: Canvas; }
td.msg { white-space: normal; min-width: 24rem; }
.sev-error { background: var(--error-bg); } .sev-warning { background: var(--warning-bg); }
.sev-info { background: var(--info-bg); } .absent { color: var(--info); }
span.sev { font-weight: 600; } span.sev.error { color: var(--error); }
span.sev.warning { color: var(--warning); } span.sev.info { color: var(--info); }
.filters { margin: .5rem 0; display: flex; gap: 1rem; align-items: center; }
.note { color: var(--info); } details > summary { cursor: pointer; }
svg.bars text { font: 11px system-ui, sans-serif; fill: currentColor; }
svg.bars rect.ref { fill: #8c959f; } svg.bars rect.here { fill: #0969da; } svg.bars rect.in { fill: #d0d7de; }
tr.hidden { display: none; }
"""

# Findings filterable by severity and rule: rows carry data-severity and data-rule.
JS = """
(function () {
  var severity = document.getElementById('f-severity');
  var rule = document.getElementById('f-rule');
  var count = document.getElementById('f-count');
  if (!severity || !rule) { return; }
  var rows = document.querySelectorAll('#findings tbody tr');
  function apply() {
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = (!severity.value || r.dataset.severity === severity.value) &&
               (!rule.value || r.dataset.rule === rule.value);
      r.classList.toggle('hidden', !ok);
      if (ok) { shown++; }
    }
    count.textContent = shown + ' of ' + rows.length + ' shown';
  }
  severity.addEventListener('change', apply);
  rule.addEventListener('change', apply);
  apply();
})();
"""


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


POLICY = (
    f"default-src 'none'; style-src {_hash(CSS)}; script-src {_hash(JS)}; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def page(title: str, body: Iterable[str]) -> str:
    """A whole HTML document: ``title`` (escaped here), ``body`` (HTML already escaped by its maker)."""
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            '<meta name="generator" content="envaudit">\n',
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
            *body,
            f"\n<script>{JS}</script>\n</body>\n</html>\n",
        ]
    )


def table(head: Iterable[str], rows: Iterable[str], *, table_id: str = "", scroll: bool = True) -> str:
    """A table from header cells (escaped here) and rows (``<tr>...</tr>``, escaped by their maker)."""
    ident = f' id="{table_id}"' if table_id else ""
    header = "".join(f"<th>{esc(h)}</th>" for h in head)
    html = f"<table{ident}><thead><tr>{header}</tr></thead><tbody>\n{''.join(rows)}</tbody></table>"
    return f'<div class="scroll">{html}</div>' if scroll else html


def bars(values: Iterable[tuple[str, int | None, str]], width: int = 220) -> str:
    """A small horizontal bar chart as inline SVG (no style attribute, so the policy allows it):
    each (label, value, kind) one bar; kind is a CSS class: in, ref or here."""
    items = list(values)
    top = max((v or 0 for _, v, _ in items), default=0) or 1
    row = 16
    parts = [f'<svg class="bars" width="{width + 150}" height="{row * len(items) + 4}" role="img">']
    for i, (label, value, kind) in enumerate(items):
        length = 0 if value is None else max(1, round(width * value / top)) if value else 0
        y = i * row + 2
        parts.append(f'<rect class="{esc(kind)}" x="110" y="{y}" width="{length}" height="{row - 4}"></rect>')
        parts.append(f'<text x="0" y="{y + row - 6}">{esc(label)}</text>')
        shown = "—" if value is None else str(value)
        parts.append(f'<text x="{114 + length}" y="{y + row - 6}">{esc(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)
