"""Real sshd instances on 127.0.0.1, standing for remote hosts, with throwaway keys.

Each instance is its own "host": its own port, host key and environment (``SetEnv``), so one can
put a different ``python3`` first on the remote PATH, or plant a secret in the remote environment.
The client side uses the lab's own known_hosts and user key, passed with --ssh-option/--identity.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"


def available() -> bool:
    return Path(SSHD).exists() and shutil.which("ssh") is not None and shutil.which("ssh-keygen") is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


@dataclass
class Host:
    name: str
    port: int
    host_key: Path
    process: subprocess.Popen[bytes] | None = None

    def url(self, path: str = "") -> str:
        return f"ssh://{getpass.getuser()}@127.0.0.1:{self.port}{path}"

    def known_hosts_line(self, key: Path | None = None) -> str:
        public = (key or self.host_key).with_suffix(".pub").read_text().split()
        return f"[127.0.0.1]:{self.port} {public[0]} {public[1]}\n"


@dataclass
class Lab:
    root: Path
    hosts: dict[str, Host] = field(default_factory=dict)

    @property
    def user_key(self) -> Path:
        return self.root / "user_key"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    def client_args(self, known_hosts: Path | None = None) -> list[str]:
        """Flags that make envaudit's ssh use this lab's key and known_hosts, and nothing of the user's."""
        return [
            "--identity",
            str(self.user_key),
            "--ssh-option",
            f"UserKnownHostsFile={known_hosts or self.known_hosts}",
            "--ssh-option",
            "GlobalKnownHostsFile=/dev/null",
            "--ssh-option",
            "IdentitiesOnly=yes",
        ]

    def start(self, name: str, *, env: dict[str, str] | None = None, log_level: str = "ERROR") -> Host:
        """An sshd on loopback; ``log_level`` VERBOSE logs each authentication (tests count them)."""
        folder = self.root / name
        folder.mkdir()
        host = Host(name, free_port(), folder / "host_key")
        keygen(host.host_key)
        set_env = " ".join(f'"{k}={v}"' for k, v in (env or {}).items())
        config = folder / "sshd_config"
        config.write_text(
            f"Port {host.port}\nListenAddress 127.0.0.1\nHostKey {host.host_key}\nPidFile {folder}/sshd.pid\n"
            f"AuthorizedKeysFile {self.root}/authorized_keys\nStrictModes no\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\n"
            f"UsePAM no\nLogLevel {log_level}\nMaxStartups 100:30:200\n"
            + (f"SetEnv {set_env}\n" if set_env else "")
        )
        with open(folder / "sshd.log", "wb") as log:  # sshd keeps its own copy of the descriptor
            host.process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=log
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if host.process.poll() is not None:
                raise RuntimeError(f"sshd {name} exited: {(folder / 'sshd.log').read_text()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", host.port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"sshd {name} did not start listening on {host.port}")
        self.hosts[name] = host
        return host

    def trust(self, *hosts: Host) -> None:
        with self.known_hosts.open("a") as fh:
            for host in hosts:
                fh.write(host.known_hosts_line())

    def stop(self) -> None:
        for host in self.hosts.values():
            if host.process is not None and host.process.poll() is None:
                host.process.terminate()
                host.process.wait(timeout=10)


def make_lab(root: Path) -> Lab:
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # sshd's privilege separation directory
    lab = Lab(root)
    keygen(lab.user_key)
    (root / "authorized_keys").write_text(lab.user_key.with_suffix(".pub").read_text())
    os.chmod(lab.user_key, 0o600)  # noqa: PTH101
    return lab
