"""Remote hosts over SSH, through the system OpenSSH client.

Using the user's own ``ssh`` means their ``~/.ssh/config``, agent, ProxyJump and known_hosts just
work. envaudit adds: batch mode (never a password prompt), strict host key checking (new keys are
accepted only when asked), a connect timeout, and ``--`` before the host so a crafted host name can
never be read as an option. The scanner travels on stdin; nothing is written on the remote host.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from envaudit import defaults
from envaudit.errors import UsageError
from envaudit.targets import GRAMMAR_TIP, TargetSpec
from envaudit.targets.base import ScriptTarget, Started, TargetOptions
from envaudit.targets.local import describe_failure
from envaudit.targets.runner import MAX_STDERR, MAX_STDOUT, ScriptRun
from envaudit.targets.sshbatch import BATCHES, Member, commands_of, driver, end_marker, new_nonce
from envaudit.targets.sshmux import SHARING, InSlot, Key

REMOTE_DEFAULT_PYTHON = "python3"


@dataclass(frozen=True, slots=True)
class SSHAddress:
    host: str
    user: str | None = None
    port: int | None = None
    python: str | None = None  # None: python3 from the remote's non-interactive PATH

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host


@dataclass(frozen=True, slots=True)
class SSHOptions:
    options: tuple[str, ...] = ()  # passed as -o OPTION, before envaudit's own: the user's choice wins
    identity: str | None = None
    accept_new_host_keys: bool = False
    connect_timeout: int = defaults.SSH_CONNECT_TIMEOUT


def parse_address(spec: TargetSpec) -> SSHAddress:
    try:
        parts = urlsplit(spec.location)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"target {spec.spelling!r}: {exc}", tip=GRAMMAR_TIP) from None
    if parts.scheme != "ssh" or not parts.hostname:
        raise UsageError(
            f"target {spec.spelling!r}: expected ssh://[user@]host[:port][/path/to/python]", tip=GRAMMAR_TIP
        )
    if parts.password is not None:
        raise UsageError(f"target {spec.spelling!r}: no passwords in targets; use keys or an ssh-agent")
    if parts.query or parts.fragment:
        raise UsageError(f"target {spec.spelling!r}: unexpected ?query or #fragment")
    python = parts.path if parts.path not in ("", "/") else None
    return SSHAddress(host=parts.hostname, user=parts.username, port=port, python=python)


def ssh_argv(
    address: SSHAddress, options: SSHOptions, remote_command: str | None, extra: Sequence[str] = ()
) -> list[str]:
    """``ssh ... -- DESTINATION COMMAND`` (no command: the connection alone, for a master)."""
    argv = ["ssh", "-T"]
    for option in options.options:  # first: for each setting, OpenSSH takes the first value it is given
        argv += ["-o", option]
    argv += [*extra]  # then envaudit's connection sharing, which the user's options override
    argv += [
        "-o",
        "BatchMode=yes",
        "-o",
        f"StrictHostKeyChecking={'accept-new' if options.accept_new_host_keys else 'yes'}",
        "-o",
        f"ConnectTimeout={options.connect_timeout}",
        "-o",
        "LogLevel=ERROR",
    ]
    if options.identity:
        argv += ["-i", options.identity]
    if address.port is not None:
        argv += ["-p", str(address.port)]
    return [*argv, "--", address.destination, *([remote_command] if remote_command is not None else [])]


def remote_command(address: SSHAddress, args: Sequence[str]) -> str:
    """The command the remote shell runs: the interpreter, isolated, reading the script on stdin."""
    python = address.python or REMOTE_DEFAULT_PYTHON
    return "exec " + shlex.join([python, "-I", "-", *args])


def explain(address: SSHAddress, code: int, stderr: bytes) -> str:
    """One line for what went wrong: ssh's own failures (exit 255) first, then the remote's."""
    text = stderr.decode("utf-8", errors="replace")
    where = f"{address.host}:{address.port}" if address.port else address.host
    if code == 255:
        if "REMOTE HOST IDENTIFICATION HAS CHANGED" in text:
            return (
                f"the host key of {where} has CHANGED since it was recorded in known_hosts: refusing to "
                "connect (this can mean someone is intercepting the connection); if the change is expected, "
                f"remove the old key with ssh-keygen -R '{_known_hosts_name(address)}'"
            )
        if "Host key verification failed" in text:
            return (
                f"unknown host key for {where}: refusing to connect; check the key and add it to known_hosts "
                "(ssh-keyscan), or pass --accept-new-host-keys to trust a new host on first use"
            )
        for marker, message in (
            ("Connection refused", f"connection refused by {where} (is sshd running there?)"),
            ("timed out", f"connection to {where} timed out"),
            ("Could not resolve hostname", f"cannot resolve the host name {address.host}"),
            ("No route to host", f"no route to {where}"),
            (
                "Permission denied",
                f"authentication to {where} failed (batch mode: no password prompts); "
                "use --identity or an ssh-agent",
            ),
        ):
            if marker in text:
                return message
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        return f"ssh to {where} failed: {lines[-1] if lines else 'no error output'}"
    python = address.python or REMOTE_DEFAULT_PYTHON
    if code == 127:
        return (
            f"no {python} on {where}"
            + ("" if address.python else " in the remote's non-interactive PATH")
            + "; name the interpreter: ssh://host/path/to/python"
        )
    return f"on {where}: " + describe_failure(python, code, stderr)


def _known_hosts_name(address: SSHAddress) -> str:
    return f"[{address.host}]:{address.port}" if address.port and address.port != 22 else address.host


def start_script(
    spec: TargetSpec,
    script: str,
    args: Sequence[str],
    options: SSHOptions,
    *,
    timeout: float,
    environ: Mapping[str, str],
    extra: Sequence[str] = (),
) -> ScriptRun:
    """Run an in-target script (on stdin) with the remote interpreter; nothing is written there.
    ``extra``: ssh options of envaudit's own (a shared connection's ControlPath)."""
    address = parse_address(spec)
    return ScriptRun(
        ssh_argv(address, options, remote_command(address, args), extra),
        script,
        target=spec.spelling,
        timeout=timeout,
        env=environ,  # the user's own ssh: their agent, config and known_hosts
        explain=lambda code, stderr: explain(address, code, stderr),
        requested=address.python or f"{REMOTE_DEFAULT_PYTHON} (the remote's PATH)",
        cannot_start="cannot run ssh",
    )


class SSHHost(ScriptTarget):
    """``ssh://[user@]host[:port][/python]``: scanned by the remote interpreter, through OpenSSH.
    Several targets on one host share one connection (``sshmux``)."""

    def __init__(self, spec: TargetSpec, options: TargetOptions, environ: Mapping[str, str]) -> None:
        super().__init__(spec, options, environ)
        self.address = parse_address(spec)
        ssh = options.ssh or SSHOptions()
        self.key: Key = (
            self.address.destination,
            self.address.port,
            ssh.options,
            ssh.identity,
            ssh.accept_new_host_keys,
            ssh.connect_timeout,
        )
        SHARING.register(self.key)
        BATCHES.register(self.key, self)

    def launch(self) -> Started | None:
        # A host with several targets: its connection is made by a worker, the first of them,
        # while the others of that host wait; launching early here would make one per target.
        return None if SHARING.shared(self.key) else super().launch()

    def start_scan(self) -> Started:
        if not SHARING.shared(self.key):
            return super().start_scan()
        return BATCHES.part(self.key, self, self._start_batch)  # the host's scans in one session

    def _start_batch(self, members: Sequence[Member]) -> tuple[ScriptRun, str, Callable[[], None]]:
        """One session scanning ``members`` (this target first), in a slot of the host's pool."""
        from envaudit.targets.scripts import scanner_script

        slot = SHARING.slot(self.key, "scan", self.spec.spelling)
        try:
            ssh = self.options.ssh or SSHOptions()
            address = self.address
            extra = self._through_master(ssh)
            nonce = new_nonce()
            script = driver([m.batch_command() for m in members], nonce, self.options.timeout)
            run = ScriptRun(
                ssh_argv(address, ssh, "exec sh -c " + shlex.quote(script), extra),
                scanner_script(),
                target=self.spec.spelling,
                timeout=self.options.timeout,
                env=self.environ,
                explain=lambda code, stderr: explain(address, code, stderr),
                requested=self.batch_requested,
                cannot_start="cannot run ssh",
                max_stdout=len(members) * (MAX_STDOUT + MAX_STDERR + 4096),
                done_marker=end_marker(nonce),
            )
        except BaseException:
            slot.release()
            raise
        return run, nonce, slot.release

    def _through_master(self, ssh: SSHOptions) -> list[str]:
        """The options that send a session through the host's shared connection (made if first)."""
        address = self.address
        return SHARING.control_options(
            self.key,
            self.spec.spelling,
            ssh_argv(address, ssh, None),
            timeout=self.options.timeout,
            environ=self.environ,
            explain=lambda code, stderr: explain(address, code, stderr),
        )

    # What a batch needs of its members (sshbatch.Member).
    def batch_command(self) -> str:
        return commands_of([self.address.python or REMOTE_DEFAULT_PYTHON], self.scanner_args())[0]

    def batch_explain(self, code: int, stderr: bytes) -> str:
        return explain(self.address, code, stderr)

    def own_session(self) -> Started:
        return self._in_slot("scan", super().start_scan)

    @property
    def batch_requested(self) -> str:
        return self.address.python or f"{REMOTE_DEFAULT_PYTHON} (the remote's PATH)"

    @property
    def batch_target(self) -> str:
        return self.spec.spelling

    def start_probes(self, script: str, args: Sequence[str]) -> Started:
        return self._in_slot("probe", lambda: super(SSHHost, self).start_probes(script, args))

    def _in_slot(self, kind: str, start: Callable[[], Started]) -> Started:
        """On a shared connection, at most ``sshmux.SESSIONS[kind]`` such sessions at a time."""
        if not SHARING.shared(self.key):
            return start()
        slot = SHARING.slot(self.key, kind, self.spec.spelling)
        try:
            return InSlot(start(), slot)
        except BaseException:
            slot.release()
            raise

    def start(self, script: str, args: Sequence[str]) -> Started:
        ssh = self.options.ssh or SSHOptions()
        extra = self._through_master(ssh) if SHARING.shared(self.key) else []
        return start_script(
            self.spec,
            script,
            args,
            ssh,
            timeout=self.options.timeout,
            environ=self.environ,
            extra=extra,
        )

    @classmethod
    def release_all(cls) -> None:
        BATCHES.clear()
        SHARING.close()

    def scanner_args(self) -> list[str]:
        # The remote's own environment, redacted later.
        return [json.dumps({"environ": True, **self.scanner_options()})]

    def recorded_environ(self, raw: Mapping[str, Any]) -> Mapping[str, str]:
        recorded = raw.get("environ")  # a remote host reports its own
        return recorded if isinstance(recorded, dict) else {}
