"""Progress on stderr: live on a terminal (a real pty), naming the slowest running target; one line
per finished target with --progress plain; nothing in a pipe by default."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ENVAUDIT, Runner

pytestmark = pytest.mark.integration


def slow_python(folder: Path, seconds: float) -> Path:
    """An interpreter that takes ``seconds`` to start: the target a person waits for."""
    path = folder / "slowpython"
    path.write_text(f'#!/bin/sh\nsleep {seconds}\nexec {sys.executable} "$@"\n')
    path.chmod(0o755)
    return path


def test_live_progress_names_the_slowest_running_target(tmp_path: Path) -> None:
    slow = slow_python(tmp_path, 3)
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(COLUMNS="200", ENVAUDIT_FINGERPRINT_KEY="envaudit-tests-fingerprint-key-0123456789")
    proc = subprocess.Popen(
        [str(ENVAUDIT), "scan", f"fast=python:{sys.executable}", f"slow=python:{slow}", "--format", "json"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=secondary,
        env=env,
        cwd=tmp_path,
    )
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=60)
    os.close(primary)
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", seen).decode(errors="replace")
    assert proc.returncode == 0
    assert "1 done · 0 failed · 1 running · slowest: slow" in text
    assert "2 done · 0 failed · 0 running" in text


def test_plain_progress_is_one_line_per_target_and_default_is_quiet_in_a_pipe(
    envaudit: Runner, tmp_path: Path
) -> None:
    targets = [f"a=python:{sys.executable}", f"missing={tmp_path / 'nope.json'}"]
    quiet = envaudit("scan", *targets, "--format", "json")
    assert not re.search(r"\[\d/2\]", quiet.stderr)
    plain = envaudit("scan", *targets, "--format", "json", "--progress", "plain")
    lines = [line for line in plain.stderr.splitlines() if re.match(r"\[\d/2\] ", line)]
    assert len(lines) == 2, plain.stderr
    assert any(re.fullmatch(r"\[\d/2\] ok a \(\d+\.\d s, \d+ distributions\)", line) for line in lines)
    assert any(
        line.startswith(("[1/2] FAILED missing", "[2/2] FAILED missing")) and "no such file" in line
        for line in lines
    )
    assert plain.returncode == quiet.returncode == 2
