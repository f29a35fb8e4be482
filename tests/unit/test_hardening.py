"""The pure parts of issue 12's hardening, property-tested: names, escaping, the tar walker on
hostile input, redaction of generated credentials in every output, the runner's caps and the probe
time limit (these two in real child processes)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import tarfile
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.utils import InvalidName, canonicalize_name
from rich.console import Console

from envaudit import names, snapshot_io
from envaudit.diff import diff
from envaudit.envvars import EnvPolicy, FingerprintKey, capture
from envaudit.errors import TargetError
from envaudit.findings import Labelled
from envaudit.report import ReportFormat, render, scan_text
from envaudit.targets import tarwalk
from envaudit.targets.runner import ScriptRun
from envaudit.textsafe import markdown, markdown_code, one_line, terminal, xml
from tests.support.snapshots import snapshot

KEY = FingerprintKey.from_bytes(b"k" * 32)

# --- names ------------------------------------------------------------------------------------------

NAME_ALPHABET = st.text(alphabet="aZ09._-\n ;=@/[]!é", max_size=12)


@given(NAME_ALPHABET)
def test_name_validation_agrees_with_packaging(name: str) -> None:
    try:
        expected = canonicalize_name(name, validate=True)
    except InvalidName:
        assert not names.is_valid(name)
    else:
        assert names.is_valid(name) and names.canonical(name) == expected


@given(st.lists(NAME_ALPHABET, max_size=6))
def test_the_one_pass_check_finds_what_the_loop_finds(given_names: list[str]) -> None:
    canon = [names.canonical(n) for n in given_names]
    expected = next((i for i, n in enumerate(given_names) if not names.is_valid(n)), None)
    assert names.first_invalid(given_names, canon) == expected


def test_a_name_cannot_smuggle_a_second_line() -> None:
    assert names.first_invalid(["six\nattrs"], ["six\nattrs"]) == 0
    assert names.first_invalid(["six", "Attrs"], ["six", "Attrs"]) == 1  # canonical form is lower case


# --- escaping --------------------------------------------------------------------------------------


def test_controls_are_shown_never_sent() -> None:
    assert one_line("a\x1b]0;x\x07b\nc\u202ed") == "a\\x1b]0;x\\x07b\\nc\\u202ed"
    assert terminal("line\n\x9b31m") == "line\n\\x9b31m"


def test_markdown_escapes_html_outside_code_and_keeps_tables_whole() -> None:
    assert markdown("<img src=x onerror=alert(1)> | `pandas<3` | **bold**") == (
        # emphasis is escaped too: values are literal
        "&lt;img src=x onerror=alert(1)&gt; \\| `pandas<3` \\| \\*\\*bold\\*\\*"
    )
    assert markdown("``a` <script>") == "``a` &lt;script&gt;"  # an unclosed span is text
    assert markdown_code("a`b|c") == "``a`b\\|c``"


def test_xml_holds_every_character() -> None:
    element = ET.Element("t", name=xml("a\x00b\x1b\ufffe"))
    element.text = xml("\x01")
    assert ET.fromstring(ET.tostring(element)).get("name") == "a\\x00b\\x1b\\ufffe"


# --- the tar walker on hostile input -----------------------------------------------------------------


def _header(name: str, size_field: bytes, kind: bytes = b"0") -> bytes:
    block = bytearray(tarfile.TarInfo(name).tobuf(format=tarfile.GNU_FORMAT))
    block[124:136] = size_field
    block[156:157] = kind
    block[148:156] = b" " * 8
    block[148:155] = f"{sum(block):06o}\0".encode()
    return bytes(block)


def _walk(data: bytes, *, stream: bool) -> None:
    source: tarwalk.Source = tarwalk.StreamSource(io.BytesIO(data)) if stream else tarwalk.BufferSource(data)
    walker = tarwalk.Walker(source)
    for member in walker:
        if member.size < 4096:
            walker.data(member, 4096)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    "size_field",
    [
        b"\xff" * 11 + b"\x00",  # base-256, negative
        b"\xc0" + b"\x00" * 10 + b"\x01",  # base-256, -1
        b"-0000000001\x00",  # a sign where only octal digits belong
        b"\x80" + b"\xff" * 11,  # base-256, absurdly large
    ],
)
def test_hostile_sizes_are_errors(size_field: bytes, stream: bool) -> None:
    data = _header("a", size_field) + bytes(2048)
    with pytest.raises(tarwalk.TarError, match=r"claims a size|truncated"):
        _walk(data, stream=stream)


def test_a_negative_pax_size_is_an_error() -> None:
    record = b"14 size=-4096\n"
    pax = _header("pax", f"{len(record):011o}\0".encode(), b"x") + record.ljust(512, b"\0")
    data = pax + _header("a", b"00000000000\0") + bytes(2048)
    with pytest.raises(tarwalk.TarError, match="claims a size"):
        _walk(data, stream=False)


def _valid_archive(sizes: list[int]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for i, size in enumerate(sizes):
            info = tarfile.TarInfo(f"f{i}")
            info.size = size
            tar.addfile(info, io.BytesIO(b"x" * size))
    return out.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.integers(0, 3000), min_size=1, max_size=4),
    patches=st.lists(st.tuples(st.integers(0, 4095), st.binary(min_size=1, max_size=12)), max_size=4),
    cut=st.integers(0, 6000),
    stream=st.booleans(),
)
def test_random_damage_never_loops_nor_outlasts_the_deadline(
    sizes: list[int], patches: list[tuple[int, bytes]], cut: int, stream: bool
) -> None:
    data = bytearray(_valid_archive(sizes))
    for offset, blob in patches:  # overwrite bytes anywhere: sizes, types, checksums, pax records
        at = offset % len(data)
        data[at : at + len(blob)] = blob
    data = data[: max(0, len(data) - cut)]
    started = time.monotonic()
    # An error is a fine answer to damage; a hang or a ReadTimeout (5 s on a small archive) is not.
    with tarwalk.deadline(5), contextlib.suppress(tarwalk.TarError):
        _walk(bytes(data), stream=stream)
    assert time.monotonic() - started < 5


def test_the_deadline_stops_a_long_walk() -> None:
    # A member of almost 1 TiB (base-256 size): minutes of data, so only the deadline ends the walk.
    zeros = io.BytesIO(_header("big", b"\x80" + ((1 << 40) - 1).to_bytes(11, "big")))

    class Endless(io.RawIOBase):  # a member's data that never ends: only the deadline stops it
        def readable(self) -> bool:
            return True

        def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
            head = zeros.read(len(target))
            target[: len(head)] = head
            target[len(head) :] = bytes(len(target) - len(head))
            return len(target)

    started = time.monotonic()
    with tarwalk.deadline(0.5), pytest.raises(tarwalk.ReadTimeout):
        _walk_stream(Endless())
    assert time.monotonic() - started < 3


def _walk_stream(raw: io.RawIOBase) -> None:
    walker = tarwalk.Walker(tarwalk.StreamSource(io.BufferedReader(raw)))
    for _ in walker:
        pass


# --- redaction: a generated password never appears in any output -----------------------------------

PASSWORD = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=";{}\"'"),
    min_size=6,
    max_size=24,
).map(lambda s: "Pw" + s)  # a prefix no report text holds, so a find is a leak
FORMS = [
    "postgres://app:{pw}@db.internal:5432/prod",
    "mysql://root:{pw}@10.0.0.1/app?ssl=true",
    "redis://:{pw}@cache:6379/0",
    "app:{pw}@db:5432/prod",
    "Server=db;User Id=sa;Password={pw};Database=x;",
    "host=db user=app password={pw} dbname=x",
    "Driver={{ODBC}};Server=db;Uid=sa;Pwd={pw};",
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pw=PASSWORD, form=st.sampled_from(FORMS), name=st.sampled_from(["DATABASE_URL", "APP_DB", "CONN"]))
def test_a_generated_password_never_appears_in_any_output(pw: str, form: str, name: str) -> None:
    value = form.format(pw=pw)
    env = capture({name: value}, KEY, EnvPolicy())
    assert env[0].redacted
    before = snapshot({"six": "1.16.0"}, env=capture({name: "postgres://app:other@db/x"}, KEY, EnvPolicy()))
    after = snapshot({"six": "1.16.0"}, env=env)
    outputs = [snapshot_io.dumps(after)]
    console = Console(file=io.StringIO(), width=100, markup=False)
    scan_text.render_one(after, console)
    outputs.append(console.file.getvalue())  # type: ignore[attr-defined]
    report = diff([Labelled("a", before), Labelled("b", after)])
    outputs += [render(report, fmt) for fmt in ReportFormat]
    for output in outputs:
        assert pw not in output


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MYSQL_PWD", "short"),
        ("DB_PW", "abc"),
        ("CARD_PIN", "1234"),
        ("X", "postgres://app:p@ssw0rd@db/prod"),
        ("X", "postgres://app:pa/ss@db/prod"),
        ("X", "Server=db;User Id=sa;Password=hunter2;"),
        ("X", "app:hunter2@db:5432/prod"),
    ],
)
def test_common_secret_shapes_are_redacted(name: str, value: str) -> None:
    (var,) = capture({name: value}, KEY, EnvPolicy())
    assert var.redacted
    for secret in ("short", "abc", "1234", "p@ssw0rd", "pa/ss", "hunter2"):
        if secret in value:
            assert secret not in (var.value or "")


def test_pwd_itself_is_not_a_secret() -> None:
    (var,) = capture({"PWD": "/srv/app"}, KEY, EnvPolicy(exclude=()))
    assert not var.redacted and var.value == "/srv/app"


# --- the runner's bounds, in real child processes ------------------------------------------------


def python_run(code: str, *, timeout: float, max_stdout: int = 64 << 20) -> ScriptRun:
    """``python -c CODE`` run the way targets are: its own process group, waits bounded."""
    return ScriptRun(
        [sys.executable, "-c", code],
        "",
        target="t",
        timeout=timeout,
        env={},
        explain=lambda status, _: f"exit {status}",
        requested="python",
        cannot_start="cannot run",
        max_stdout=max_stdout,
    )


def test_stdout_past_the_cap_is_an_error_not_memory() -> None:
    run = python_run("import sys; sys.stdout.write('x' * (3 << 20))", timeout=30, max_stdout=1 << 20)
    with pytest.raises(TargetError, match="printed more than 1 MiB"):
        run.result()


def test_a_child_holding_the_pipe_does_not_hold_the_result() -> None:
    run = python_run("import subprocess; subprocess.Popen(['sleep', '30']); print('done')", timeout=20)
    started = time.monotonic()
    assert run.result().strip() == "done"
    assert time.monotonic() - started < 5


RENDER = Path(__file__).resolve().parents[2] / "envaudit" / "inprocess" / "probe_render.py"


@pytest.mark.parametrize("handler", ["except Exception", "except BaseException", "except"])
def test_the_probe_limit_is_not_swallowed(handler: str) -> None:
    # Even a handler that catches everything is interrupted again while it goes on (so this one is
    # over within a second or two of its limit), and a probe that went over is a timeout, whatever
    # it caught and returned.
    code = textwrap.dedent(
        f"""
        import importlib.util, json, time
        spec = importlib.util.spec_from_file_location("runner", {str(RENDER)!r})
        runner = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(runner)

        def stubborn():
            for _ in range(5):
                try:
                    time.sleep(10)
                {handler}:
                    pass
            return "finished"

        started = time.monotonic()
        record = runner._guarded(stubborn, 0.5)
        print(json.dumps([record["status"], time.monotonic() - started]))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    status, seconds = json.loads(out.stdout)
    assert status == "timeout"
    assert seconds < 5
