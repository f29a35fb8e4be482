"""pip's requirements-file syntax, rule for rule (pip 26's ``req_file``/``req/constructors``).

Lines: a trailing backslash joins the next line (before comments are stripped, so a comment that
ends in ``\\`` swallows the next line, as in pip); ``#`` at the start or after whitespace starts a
comment; ``${VAR}`` (upper case, digits, ``_``) is replaced by the variable when it is set. Each
line is split at its first token starting with ``-``: before it the requirement, after it options,
split as a shell would and read as optparse reads them (unique prefixes of long options, glued
short options such as ``-e.`` and ``-ihttps://…``); an unknown option anywhere makes pip refuse
the file, and so envaudit. What counts as a URL is pip's list of schemes, so ``git://`` (no
``git+``) is not one; an ``#egg=`` fragment must be a PEP 508 name, with no version or extras.

Kept apart from the file reader (``requirements``) so the rules can be tested against pip itself
(tests/unit/test_requirements_pip_parity.py, on a corpus of real-world files).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

COMMENT = re.compile(r"(^|\s+)#.*$")
ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")

# Every option pip accepts in a requirements file: long name -> whether it takes a value.
LONG_OPTIONS = {
    "--index-url": True,
    "--extra-index-url": True,
    "--no-index": False,
    "--constraint": True,
    "--requirement": True,
    "--editable": True,
    "--find-links": True,
    "--no-binary": True,
    "--only-binary": True,
    "--prefer-binary": False,
    "--require-hashes": False,
    "--no-require-hashes": False,
    "--pre": False,
    "--all-releases": True,
    "--only-final": True,
    "--trusted-host": True,
    "--use-feature": True,
    "--hash": True,
    "--config-settings": True,
}
SHORT_OPTIONS = {
    "-i": "--index-url",
    "-c": "--constraint",
    "-r": "--requirement",
    "-e": "--editable",
    "-f": "--find-links",
}

URL_SCHEMES = frozenset(
    {
        "http",
        "https",
        "file",
        "ftp",
        *("bzr+http", "bzr+https", "bzr+ssh", "bzr+sftp", "bzr+ftp", "bzr+lp", "bzr+file"),
        *("git+http", "git+https", "git+ssh", "git+git", "git+file"),
        *("hg+file", "hg+http", "hg+https", "hg+ssh", "hg+static-http"),
        *("svn+ssh", "svn+http", "svn+https", "svn+svn", "svn+file"),
    }
)
VCS_PREFIXES = ("bzr+", "git+", "hg+", "svn+")
ARCHIVE_SUFFIXES = (
    ".zip",
    ".whl",
    ".tar.bz2",
    ".tbz",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
)
_EGG = re.compile(r"[#&]egg=([^&]*)")
_PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_EXTRAS = re.compile(r"^(.+)(\[[^\]]+\])$")


class SyntaxProblem(Exception):
    """pip refuses the line: the message says why (never echoing more of the line than a name)."""


@dataclass(frozen=True, slots=True)
class LogicalLine:
    lineno: int  # first physical line
    text: str  # comments stripped, continuations joined, ${VAR} expanded
    end: int = 0  # last physical line (the same as lineno unless continued)
    written: str = ""  # the same before ${VAR} expansion


def logical_lines(text: str, environ: Mapping[str, str] | None = None) -> list[LogicalLine]:
    """pip's ``preprocess``: join continuations, strip comments, expand ``${VAR}``."""
    environ = os.environ if environ is None else environ
    out: list[LogicalLine] = []
    joined: list[tuple[int, int, str]] = []
    buffer: list[str] = []
    start = 0
    lines = text.splitlines()
    for lineno, raw in enumerate(lines, 1):
        if not raw.endswith("\\") or COMMENT.match(raw):
            line = " " + raw if COMMENT.match(raw) else raw  # a whole-line comment stays one
            if buffer:
                buffer.append(line)
                joined.append((start, lineno, "".join(buffer)))
                buffer = []
            else:
                joined.append((lineno, lineno, line))
        else:
            if not buffer:
                start = lineno
            buffer.append(raw.strip("\\"))
    if buffer:
        joined.append((start, len(lines), "".join(buffer)))
    for first, last, line in joined:
        written = COMMENT.sub("", line).strip()
        if written:
            expanded = ENV_VAR.sub(lambda m: environ.get(m.group(1), m.group(0)), written)
            out.append(LogicalLine(first, expanded, last, written))
    return out


def break_args_options(line: str) -> tuple[str, str]:
    """pip's split: the requirement is every token before the first one starting with ``-``."""
    tokens = line.split(" ")
    args: list[str] = []
    for token in tokens:
        if token.startswith("-"):
            break
        args.append(token)
    return " ".join(args), " ".join(tokens[len(args) :])


@dataclass
class Options:
    """The options of one line, by long name, each with every value given (in order)."""

    values: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str) -> list[str]:
        return self.values.get(name, [])


def parse_options(options: str) -> Options:
    """optparse's reading of ``options`` against pip's table; SyntaxProblem for what pip refuses."""
    try:
        tokens = shlex.split(options)
    except ValueError:
        raise SyntaxProblem("its options cannot be split (an unclosed quote?)") from None
    parsed = Options()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token == "--":  # noqa: S105 - optparse's end of options, not a password
            break  # optparse: the rest are arguments, which pip ignores
        if token.startswith("--"):
            name, has_value, value = token.partition("=")
            name = _long_name(name)
            takes = LONG_OPTIONS[name]
            if has_value and not takes:
                raise SyntaxProblem(f"option {name} takes no value")
            if takes and not has_value:
                if i >= len(tokens):
                    raise SyntaxProblem(f"option {name} needs a value")
                value = tokens[i]
                i += 1
        elif token.startswith("-") and len(token) > 1:
            short = token[:2]
            if short not in SHORT_OPTIONS:
                raise SyntaxProblem(f"unknown option {_shown(short)}")
            name = SHORT_OPTIONS[short]
            if len(token) > 2:
                value = token[2:]  # glued: -e. or -ihttps://...
            elif i < len(tokens):
                value = tokens[i]
                i += 1
            else:
                raise SyntaxProblem(f"option {short} needs a value")
        else:
            continue  # a stray argument: optparse collects it and pip ignores it
        parsed.values.setdefault(name, []).append(value if LONG_OPTIONS[name] else "")
    return parsed


def _long_name(name: str) -> str:
    """optparse accepts any unique prefix of a long option."""
    if name in LONG_OPTIONS:
        return name
    matches = [option for option in LONG_OPTIONS if option.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise SyntaxProblem(f"ambiguous option {_shown(name)} ({', '.join(matches)})")
    raise SyntaxProblem(f"unknown option {_shown(name)}")


_OPTION_SHAPE = re.compile(r"-{1,2}[A-Za-z][A-Za-z0-9-]{0,40}")


def _shown(option: str) -> str:
    """An option name as it may be echoed: only if it looks like one (the line may be a secret)."""
    return repr(option) if _OPTION_SHAPE.fullmatch(option) else "(not an option name)"


# --- what a requirement line names ----------------------------------------------------------------


def is_url(text: str) -> bool:
    """pip's ``is_url``: a scheme it can fetch (http, https, file, ftp, and its VCS schemes)."""
    return ":" in text and text.split(":", 1)[0].lower() in URL_SCHEMES


def looks_like_path(text: str) -> bool:
    return os.sep in text or (os.altsep is not None and os.altsep in text) or text.startswith(".")


def is_archive(path: str) -> bool:
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def egg_fragment(url: str) -> str | None:
    """The ``#egg=`` name of a URL; SyntaxProblem if it is not a bare PEP 508 name (pip refuses a
    version or extras there)."""
    match = _EGG.search(url)
    if match is None:
        return None
    if not _PROJECT_NAME.match(match.group(1)):
        raise SyntaxProblem("its #egg= fragment is not a bare project name (no version, no extras)")
    return match.group(1)


def strip_extras(path: str) -> tuple[str, str | None]:
    """``./dist/x.whl[extra]`` -> (``./dist/x.whl``, ``[extra]``), as pip splits a local path."""
    match = _EXTRAS.match(path)
    return (match.group(1), match.group(2)) if match else (path, None)


def split_marker(line: str) -> tuple[str, str | None]:
    """The requirement and its marker: a URL's marker follows ``"; "``, any other's ``;``."""
    separator = "; " if is_url(line) else ";"
    if separator not in line:
        return line, None
    requirement, marker = line.split(separator, 1)
    return requirement, marker.strip() or None
