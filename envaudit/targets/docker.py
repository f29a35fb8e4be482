"""Images in a Docker engine (``docker:IMAGE``), through docker-py.

The scanner runs in a throw-away container: no network, a read-only root, no capabilities, no new
privileges, the image's own user; it is removed afterwards whatever happens (a failure, the
timeout, Ctrl-C). envaudit never pulls: an image that is not in the engine is an error with a tip.
``--static`` asks the engine for the image (`docker save`, streamed) and reads it like an archive,
so no code of the image runs at all. The client honours DOCKER_HOST, DOCKER_TLS_VERIFY and
DOCKER_CERT_PATH, as the docker CLI does.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from envaudit.errors import TargetError
from envaudit.targets import TargetSpec, interpreters
from envaudit.targets.base import Started, Target
from envaudit.targets.local import describe_failure
from envaudit.targets.runner import (
    MAX_STDERR,
    MAX_STDOUT,
    OutputTooLarge,
    keep_head_and_tail,
    output_too_large,
)

if TYPE_CHECKING:
    import docker

    from envaudit.model import Image, Snapshot
    from envaudit.scan import ScanContext

LABEL = "io.envaudit.scan"  # on every container envaudit starts, so a leftover is recognisable
ENGINE_TIP = "start the Docker engine (dockerd), or point DOCKER_HOST at a running one"

_client_lock = threading.Lock()
_clients: dict[str, docker.DockerClient] = {}  # one per process, made on first use
_live: set[EngineRun] = set()  # containers running now, removed by abandon_all on Ctrl-C
_live_lock = threading.Lock()
_stopping = threading.Event()  # set by abandon_all: no new container may start


def _engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def connect(target: str) -> docker.DockerClient:
    """One client for the whole run (it is thread-safe); TargetError if no engine answers."""
    with _client_lock:
        if "engine" in _clients:
            return _clients["engine"]
        import docker
        import requests

        try:
            client = docker.from_env(timeout=60)  # asks the engine its API version: no engine, an error
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise TargetError(
                target, f"cannot reach the Docker engine at {_engine_address()} ({detail})", tip=ENGINE_TIP
            ) from None
        _clients["engine"] = client
        return client


def inspect(client: docker.DockerClient, spec: TargetSpec) -> dict[str, Any]:
    """The engine's record of the image: what `docker image inspect` shows."""
    import docker

    try:
        return dict(client.api.inspect_image(spec.location))
    except docker.errors.ImageNotFound:
        raise TargetError(
            spec.spelling,
            f"no image {spec.location!r} in the Docker engine (envaudit never pulls images)",
            tip=f"docker pull {spec.location} (or build it), then scan again",
        ) from None
    except docker.errors.APIError as exc:
        raise TargetError(spec.spelling, f"the Docker engine refused: {exc.explanation or exc}") from None


def image_record(spec: TargetSpec, attrs: Mapping[str, Any], read: str) -> Image:
    from envaudit.model import Image

    c = attrs.get("Config") or {}
    return Image(
        reference=spec.location,
        id=str(attrs.get("Id", "")),
        read=read,
        os=str(attrs.get("Os", "")),
        architecture=str(attrs.get("Architecture", "")),
        repo_tags=tuple(str(t) for t in attrs.get("RepoTags") or ()),
        repo_digests=tuple(str(d) for d in attrs.get("RepoDigests") or ()),
        cmd=tuple(str(x) for x in c.get("Cmd") or ()),
        entrypoint=tuple(str(x) for x in c.get("Entrypoint") or ()),
        user=str(c.get("User") or ""),
        working_dir=str(c.get("WorkingDir") or ""),
        labels=tuple(sorted((str(k), str(v)) for k, v in (c.get("Labels") or {}).items())),
        layers=tuple(str(layer) for layer in (attrs.get("RootFS") or {}).get("Layers") or ()),
    )


def image_environ(attrs: Mapping[str, Any]) -> dict[str, str]:
    """The image's configured Env: what every container of it starts with (redacted later)."""
    pairs = {}
    for item in (attrs.get("Config") or {}).get("Env") or ():
        name, sep, value = str(item).partition("=")
        if sep:
            pairs[name] = value
    return pairs


def interpreter_candidates(attrs: Mapping[str, Any], requested: str | None) -> list[str]:
    c = attrs.get("Config") or {}
    return interpreters.candidates(c.get("Entrypoint") or (), c.get("Cmd") or (), requested)


class _NotThere(Exception):
    """The interpreter tried is not in the image: try the next candidate."""


class EngineRun:
    """A script run in a throw-away container, fed on stdin; the same surface as ScriptRun."""

    def __init__(
        self,
        client: docker.DockerClient,
        attrs: Mapping[str, Any],
        candidates: Sequence[str],
        script: str,
        args: Sequence[str],
        *,
        target: str,
        timeout: float,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.started = time.monotonic()
        self._client = client
        self._container: str | None = None
        self._socket: Any = None
        with _live_lock:
            if _stopping.is_set():
                raise TargetError(target, "interrupted")
            _live.add(self)
        try:
            for python in candidates:
                try:
                    self._start(str(attrs["Id"]), python, script.encode(), args)
                except _NotThere:
                    continue
                self.requested = python
                if _stopping.is_set():  # abandoned while it started: it must not outlive the run
                    raise TargetError(target, "interrupted")
                return
        except BaseException:
            self.kill()
            raise
        self.kill()
        tried = ", ".join(candidates)
        raise TargetError(
            target, f"no Python interpreter in the image (tried {tried})", tip="name one with --python PATH"
        )

    def _start(self, image_id: str, python: str, script: bytes, args: Sequence[str]) -> None:
        import docker

        api = self._client.api
        try:
            created = api.create_container(
                image_id,
                entrypoint=[python, "-I", "-", *args],
                stdin_open=True,  # with attach, docker-py also sets StdinOnce: EOF ends the input
                labels={LABEL: "1"},
                network_disabled=True,
                host_config=api.create_host_config(
                    network_mode="none",
                    read_only=True,
                    cap_drop=["ALL"],
                    security_opt=["no-new-privileges"],
                ),
            )
            self._container = str(created["Id"])
            self._socket = api.attach_socket(
                self._container, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
            api.start(self._container)
        except docker.errors.APIError as exc:
            text = str(exc.explanation or exc)
            if self._socket is not None:  # the next candidate attaches afresh
                with contextlib.suppress(OSError):
                    self._socket.close()
                self._socket = None
            self._remove()
            if "executable file not found" in text or "no such file or directory" in text:
                raise _NotThere from None
            raise TargetError(self.target, f"the Docker engine could not start a container: {text}") from None
        raw = self._socket._sock
        try:
            raw.sendall(script)
            raw.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # it exited without reading its input: its exit status and stderr will say why

    def result(self) -> str:
        """The script's stdout; a failure, a non-zero exit or the timeout raise TargetError."""
        deadline = self.started + self.timeout
        try:
            out = _read_frames(self._socket._sock, deadline)
            code = int(
                self._client.api.wait(self._container, timeout=max(1.0, deadline - time.monotonic()))[
                    "StatusCode"
                ]
            )
        except TimeoutError:
            raise TargetError(
                self.target, f"timed out after {self.timeout:g}s", tip="raise it with --timeout"
            ) from None
        except OutputTooLarge:
            raise output_too_large(self.target, MAX_STDOUT) from None
        except Exception as exc:  # the engine went away, or the container was removed under us
            import docker
            import requests

            lost = docker.errors.DockerException | requests.exceptions.RequestException | OSError
            if isinstance(exc, lost):
                if time.monotonic() >= deadline:
                    raise TargetError(self.target, f"timed out after {self.timeout:g}s") from None
                raise TargetError(self.target, f"lost the container: {exc}") from None
            raise
        finally:
            self.kill()
        if code != 0:
            raise TargetError(self.target, describe_failure(self.requested, code, out[2]))
        return out[1].decode("utf-8", errors="replace")

    def kill(self) -> None:
        """Remove the container (and stop it first if it runs); safe to call more than once."""
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
            self._socket = None
        self._remove()
        with _live_lock:
            _live.discard(self)

    def _remove(self) -> None:
        if self._container is None:
            return
        import docker
        import requests

        # Already gone, or the engine went away: nothing more can be done about it.
        with contextlib.suppress(
            docker.errors.DockerException, requests.exceptions.RequestException, OSError
        ):
            self._client.api.remove_container(self._container, force=True)
        self._container = None


def abandon_all() -> None:
    """Remove every container still running (Ctrl-C, SIGTERM, an error elsewhere). The run is over:
    no new container may start in this process afterwards."""
    with _live_lock:
        _stopping.set()
        runs = list(_live)
    for run in runs:
        run.kill()


def start_scanner(
    spec: TargetSpec,
    script: str,
    *,
    python: str | None,
    project: str | None,
    timeout: float,
    extra: dict[str, Any] | None = None,
) -> tuple[EngineRun, dict[str, Any]]:
    """Run the scanner in a container of the image; returns the run and the image's record."""
    import json

    options: dict[str, Any] = {
        "look_for": {path: interpreters.others_message(path) for path in interpreters.COMMON},
    }
    if project:
        options["project"] = project
    options.update(extra or {})
    return start_script(spec, script, [json.dumps(options)], python=python, timeout=timeout)


def start_script(
    spec: TargetSpec, script: str, args: Sequence[str], *, python: str | None, timeout: float
) -> tuple[EngineRun, dict[str, Any]]:
    """Run an in-target script (on stdin) in a throw-away container of the image."""
    client = connect(spec.spelling)
    attrs = inspect(client, spec)
    run = EngineRun(
        client,
        attrs,
        interpreter_candidates(attrs, python),
        script,
        args,
        target=spec.spelling,
        timeout=timeout,
    )
    return run, attrs


def _read_frames(raw: socket.socket, deadline: float) -> dict[int, bytes]:
    """stdout (1) and stderr (2) of an attached container, demultiplexed, until it closes them.

    docker-py's own reader waits in poll() with no time limit, so the deadline is kept here: the
    engine frames each chunk with 8 bytes (stream, 0, 0, 0, length as a big-endian uint32).
    """
    buffer = bytearray()
    out: dict[int, bytearray] = {1: bytearray(), 2: bytearray()}
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        raw.settimeout(remaining)
        chunk = raw.recv(1 << 16)
        if not chunk:
            break
        buffer += chunk
        while len(buffer) >= 8:
            length = int.from_bytes(buffer[4:8], "big")
            if len(buffer) < 8 + length:
                break
            out.setdefault(buffer[0], bytearray()).extend(buffer[8 : 8 + length])
            del buffer[: 8 + length]
        if len(out[1]) > MAX_STDOUT or len(buffer) > MAX_STDOUT:
            raise OutputTooLarge
        keep_head_and_tail(out[2], MAX_STDERR)
    return {stream: bytes(data) for stream, data in out.items()}


class _Chunks(io.RawIOBase):
    """The engine's `docker save` stream (an iterator of chunks) as a file object."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._rest:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._rest = chunk
        n = min(len(target), len(self._rest))
        target[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n


def export(spec: TargetSpec) -> tuple[io.BufferedReader, dict[str, Any]]:
    """The image as the engine saves it, streamed (nothing written to disk), and its record."""
    import docker

    client = connect(spec.spelling)
    attrs = inspect(client, spec)
    try:
        chunks = client.api.get_image(str(attrs["Id"]), chunk_size=1 << 20)
    except docker.errors.APIError as exc:
        raise TargetError(spec.spelling, f"the Docker engine could not export the image: {exc}") from None
    return io.BufferedReader(_Chunks(iter(chunks)), 1 << 20), attrs


class EngineImage(Target):
    """``docker:IMAGE``: scanned in a throw-away container, or read as files with ``--static``."""

    is_image = True

    def snapshot(self, started: Started | None, context: ScanContext | None) -> Snapshot:
        from envaudit.scan import parse_scanner_output
        from envaudit.targets.image_snapshot import image_snapshot
        from envaudit.targets.scripts import scanner_script

        assert context is not None
        opts = self.options.image
        if opts.static:
            raw, attrs = self._read_static()
            record, requested = (
                image_record(self.spec, attrs, "static"),
                str(raw["interpreter"]["executable"]),
            )
        else:
            engine_run, attrs = start_scanner(
                self.spec,
                scanner_script(),
                python=opts.python,
                project=opts.project,
                timeout=self.options.timeout,
                extra=self.scanner_options(),
            )
            raw = parse_scanner_output(engine_run.result(), self.spec.spelling)
            record, requested = image_record(self.spec, attrs, "engine"), engine_run.requested
        return image_snapshot(
            self.spec,
            raw,
            record=record,
            requested=requested,
            environ=image_environ(attrs),
            context=context,
            project=opts.project,
        )

    def _read_static(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The image's files through the engine (`docker save`, streamed): no code of it runs."""
        from envaudit.targets import image
        from envaudit.targets.image_snapshot import static_read

        stream, attrs = export(self.spec)
        with stream, static_read(self.spec, self.options.timeout):
            raw, _ = image.scan_saved_stream(
                self.spec.spelling,
                stream,
                python=self.options.image.python,
                project=self.options.image.project,
            )
        return raw, attrs

    def start_probes(self, script: str, args: Sequence[str]) -> Started:
        if self.options.image.static:
            raise TargetError(
                self.spec.spelling,
                "--static runs no code in the image, so it cannot be probed",
                tip="drop --static",
            )
        run, _ = start_script(
            self.spec, script, args, python=self.options.image.python, timeout=self.options.timeout
        )
        return run

    @classmethod
    def abandon_all(cls) -> None:
        abandon_all()
