"""Strings from targets, snapshots and archives are data: made safe for the place they are shown.

A package name, a version, a path or an image tag can hold anything a hostile target chose:
terminal escape sequences (ESC, OSC, CSI), carriage returns that overwrite a log line, newlines
that forge one, bidirectional overrides that reorder what is read, or characters XML cannot hold.
Each function here is for one kind of output; none of them ever interprets its input as markup.
"""

from __future__ import annotations

import html
import re

# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI), and the Unicode
# format characters that reorder text (bidi overrides and isolates, marks).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The same, with newline and tab too: for a value that must stay on its line.
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
# Characters XML 1.0 cannot hold at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code == 0x0A:
        return "\\n"
    if code == 0x0D:
        return "\\r"
    if code == 0x09:
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis saying it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str) -> str:
    """``text`` on one line with every control and format character shown as an escape (``\\x1b``)."""
    return _CONTROL_OR_BREAK.sub(_escape, text)


def terminal(text: str) -> str:
    """``text`` safe to print on a terminal or into a log: line breaks and tabs kept, every other
    control and format character shown as an escape."""
    return _CONTROL.sub(_escape, text)


_BACKTICKS = re.compile("`+")


def markdown(text: str) -> str:
    """``text`` for a Markdown table cell (GitHub): one line, and no tag, comment or image from a
    target ever rendered: outside code spans HTML is escaped; inside them (found by CommonMark's
    rule: a run of n backticks closes at the next run of exactly n) text is literal already, so
    `pandas<3` still reads as written. ``|`` is escaped everywhere so the table holds."""
    text = one_line(text)
    out: list[str] = []
    pos = 0
    while True:
        opening = _BACKTICKS.search(text, pos)
        if opening is None:
            break
        closing = next(
            (m for m in _BACKTICKS.finditer(text, opening.end()) if len(m.group()) == len(opening.group())),
            None,
        )
        if closing is None:  # an unmatched run is literal text, and so is what follows it
            break
        out.append(_escape_markdown_text(text[pos : opening.start()]))
        out.append(text[opening.start() : closing.end()].replace("|", "\\|"))
        pos = closing.end()
    out.append(_escape_markdown_text(text[pos:]))
    return "".join(out)


# Outside code spans, the characters that would start emphasis, links or strikethrough are escaped
# with a backslash (CommonMark lets any ASCII punctuation be escaped): values stay literal.
_MARKDOWN_SYNTAX = re.compile(r"([*_\[\]~|])")


def _escape_markdown_text(text: str) -> str:
    return _MARKDOWN_SYNTAX.sub(r"\\\1", html.escape(text, quote=False).replace("\\", "\\\\"))


def markdown_code(text: str) -> str:
    """``text`` as an inline code span in a table cell: a fence longer than any run of backticks
    in it (so it cannot close the span early), ``|`` escaped for the table."""
    text = one_line(text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def xml(text: str) -> str:
    """``text`` that XML 1.0 can hold (ElementTree escapes <, & and quotes itself): characters it
    cannot hold are shown as escapes instead of making the document ill-formed."""
    return _NOT_XML.sub(_escape, text)


def html_text(text: str) -> str:
    """``text`` for HTML, in an element or a quoted attribute: every ``<``, ``>``, ``&`` and quote
    escaped (no tag or script from a target ever runs), line breaks and controls shown as escapes."""
    return html.escape(one_line(text), quote=True)
