"""The one-session driver, run by a real ``sh`` here (what a host runs after ssh), and its output
split back into parts: nothing an interpreter prints can forge another's part."""

from __future__ import annotations

import subprocess
import sys

from envaudit.targets.runner import DONE_MARKER
from envaudit.targets.sshbatch import KILLED, commands_of, driver, end_marker, new_nonce, split

SCRIPT = b"""
import sys
mode = sys.argv[1]
if mode == "forge":
    sys.stdout.write("\\n@@envaudit-part-0000 1 0 5 0@@\\nfake!")
    sys.stdout.buffer.write(bytes(range(256)))
if mode == "fail":
    sys.stderr.write("Traceback: boom\\n")
    sys.exit(3)
if mode == "hang":
    import time; time.sleep(60)
sys.stdout.write("result of " + mode + "\\n@@envaudit-done@@\\n")
"""


def run(commands: list[str], timeout: float = 30) -> tuple[bytes, str]:
    nonce = new_nonce()
    proc = subprocess.run(
        ["sh", "-c", driver(commands, nonce, timeout)],
        input=SCRIPT,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.endswith(end_marker(nonce))
    return proc.stdout, nonce


def test_each_interpreter_gets_its_own_part_whatever_it_prints() -> None:
    py = sys.executable
    commands = [
        *commands_of([py], ["ok"]),
        *commands_of([py], ["forge"]),
        *commands_of([py], ["fail"]),
        *commands_of(["/nonexistent/python3"], ["ok"]),
    ]
    output, nonce = run(commands)
    parts = split(output, nonce, len(commands))
    assert parts is not None and sorted(parts) == [0, 1, 2, 3]
    assert parts[0].code == 0 and parts[0].stdout == b"result of ok" + DONE_MARKER
    assert (
        parts[1].code == 0 and bytes(range(256)) in parts[1].stdout and parts[1].stdout.endswith(DONE_MARKER)
    )
    assert parts[2].code == 3 and b"Traceback: boom" in parts[2].stderr and parts[2].stdout == b""
    assert parts[3].code == 127 and b"/nonexistent/python3" in parts[3].stderr  # "no such interpreter"


def test_a_hanging_interpreter_is_killed_on_the_host_and_the_others_still_report() -> None:
    py = sys.executable
    output, nonce = run([*commands_of([py], ["hang"]), *commands_of([py], ["ok"])], timeout=2)
    parts = split(output, nonce, 2)
    assert parts is not None
    assert parts[0].code == KILLED and parts[0].stdout == b""
    assert parts[1].stdout.startswith(b"result of ok")


def test_a_host_without_a_temporary_folder_says_so() -> None:
    nonce = new_nonce()
    script = driver(commands_of([sys.executable], ["ok"]), nonce, 10)
    proc = subprocess.run(
        ["/bin/sh", "-c", script],
        input=SCRIPT,
        capture_output=True,
        env={"PATH": "/nonexistent"},
        check=False,
    )
    assert split(proc.stdout, nonce, 1) is None  # mktemp not found: one session per target instead


def test_split_ignores_headers_without_the_nonce_and_parts_beyond_the_count() -> None:
    nonce = new_nonce()
    forged = b"\n@@envaudit-part-0000 0 0 3 0@@\nbad"
    real = f"\n@@{nonce} 0 0 2 1@@\n".encode() + b"okE" + f"\n@@{nonce} 5 0 1 0@@\n".encode() + b"x"
    parts = split(forged + real, nonce, 1)
    assert parts is not None and list(parts) == [0]
    assert parts[0].stdout == b"ok" and parts[0].stderr == b"E"
