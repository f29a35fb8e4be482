"""The HTML page's safety, as a parser sees it: only our one style and one script, each allowed by
the page's policy by its hash; values from targets only ever text."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

from envaudit.findings import Environment, Finding, Report, Severity
from envaudit.report import render
from envaudit.report.html_page import CSS, JS, POLICY

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'><svg onload=alert(3)>\x1b[31m"


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]
        self._in = tag if tag in ("script", "style") else None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts.append(data)
        elif self._in == "style":
            self.styles.append(data)
        self._in = None


def hostile_report() -> Report:
    envs = tuple(Environment(f"e{i}{EVIL}", f"t{EVIL}", f"cpython {EVIL}", 3, "now") for i in range(2))
    labels = tuple(e.label for e in envs)
    findings = (
        Finding(
            "EA103",
            Severity.ERROR,
            "distributions",
            f"pkg{EVIL}",
            f"msg {EVIL}",
            labels,
            details=(("from", f"1{EVIL}"), ("level", "major"), ("to", f"2{EVIL}")),
        ),
        Finding(
            "EA801",
            Severity.ERROR,
            "probes",
            "case",
            f"probe {EVIL}",
            labels,
            details=(("case", f"c{EVIL}"), ("reference_result", EVIL), ("result", EVIL), ("why", EVIL)),
        ),
        Finding(
            "EA810",
            Severity.ERROR,
            "probes",
            "f(d)",
            f"rows {EVIL}",
            labels,
            details=(("reference_rows_out", "4"), ("rows_in", "4"), ("rows_out", "2")),
        ),
    )
    return Report(command="diff", environments=envs, findings=findings)


def test_only_our_style_and_script_and_no_value_becomes_markup() -> None:
    page = render(hostile_report(), "html")
    parsed = Tags()
    parsed.feed(page)
    assert parsed.tags.count("script") == 1 and parsed.tags.count("style") == 1
    assert parsed.scripts == [JS] and parsed.styles == [CSS]
    assert "img" not in parsed.tags and parsed.tags.count("svg") == 1  # the bar chart, ours
    assert not [a for a in parsed.attributes if a.startswith("on") or a in {"style", "src"}]
    assert "\x1b" not in page and "\\x1b[31m" in page  # controls shown, never passed on
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5


def test_the_policy_allows_exactly_the_inline_style_and_script() -> None:
    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"style-src 'sha256-{digest(CSS)}'" in POLICY
    assert f"script-src 'sha256-{digest(JS)}'" in POLICY
    assert "default-src 'none'" in POLICY and "unsafe" not in POLICY
    page = render(hostile_report(), "html")
    assert re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)[1] == POLICY  # type: ignore[index]
    assert "http://" not in page and "https://" not in page
