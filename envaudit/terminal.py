"""Whether to colour a stream: the conventions CI systems and users set (no-color.org, FORCE_COLOR)."""

from __future__ import annotations

import os
from typing import TextIO


def colour(stream: TextIO) -> bool:
    """``NO_COLOR`` (non-empty) turns colour off, ``FORCE_COLOR`` (non-empty) on, as in CI logs that
    render ANSI; otherwise a terminal gets colour and a pipe or file plain text."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real stream
        return False
