"""Snapshots built in memory for unit tests of pure logic (diff, policy, reports)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from envaudit.model import (
    SCHEMA_VERSION,
    Distribution,
    EnvVar,
    Interpreter,
    MetadataFormat,
    Origin,
    OriginKind,
    PinKind,
    Provenance,
    Requirement,
    RequirementKind,
    RequirementStatus,
    Snapshot,
)

SP = "/venv/lib/python3.11/site-packages"


def dist(name: str, version: str, origin: Origin | None = None, requires: Iterable[str] = ()) -> Distribution:
    return Distribution(
        name=name,
        version=version,
        canonical_name=name.lower().replace("_", "-"),
        location=SP,
        metadata_path=f"{SP}/{name}-{version}.dist-info",
        metadata_format=MetadataFormat.DIST_INFO,
        installer="pip",
        origin=origin or Origin(OriginKind.INDEX),
        requires_dist=tuple(requires),
    )


def requirement(
    name: str,
    specifier: str,
    pin: PinKind,
    status: RequirementStatus,
    installed: str | None,
    *,
    line: int = 1,
    source: str = "requirements.txt",
) -> Requirement:
    return Requirement(
        name=name,
        canonical_name=name,
        text=f"{name}{specifier}",
        source=source,
        line=line,
        kind=RequirementKind.REQUIREMENT,
        group=None,
        pin=pin,
        specifier=specifier,
        status=status,
        installed_version=installed,
    )


def snapshot(
    dists: Mapping[str, str] | Iterable[Distribution] = (),
    *,
    target: str = "local",
    python: str = "3.11.7",
    env: Iterable[EnvVar] = (),
    requirements: Iterable[Requirement] = (),
    key_id: str = "k1",
    machine: str = "x86_64",
) -> Snapshot:
    items = [dist(n, v) for n, v in dists.items()] if isinstance(dists, Mapping) else list(dists)
    return Snapshot(
        schema_version=SCHEMA_VERSION,
        provenance=Provenance("0.1.0", target, "python", "2026-01-01T00:00:00Z", "host", key_id),
        interpreter=Interpreter(
            requested="/venv/bin/python",
            executable="/venv/bin/python",
            resolved_executable="/usr/bin/python3.11",
            version=python,
            implementation="cpython",
            prefix="/venv",
            base_prefix="/usr",
            is_venv=True,
            os="Linux",
            os_release="6.1",
            machine=machine,
            libc="glibc",
            libc_version="2.36",
            markers=(
                ("platform_machine", machine),
                ("python_full_version", python),
                ("python_version", ".".join(python.split(".")[:2])),
            ),
            sys_path=(SP,),
        ),
        distributions=tuple(items),
        environment=tuple(env),
        requirements=tuple(requirements),
    )


def var(name: str, value: str, *, relevant: bool = False) -> EnvVar:
    return EnvVar(name=name, value=value, redacted=False, relevant=relevant)


def secret(name: str, fingerprint: str) -> EnvVar:
    return EnvVar(
        name=name, value=None, redacted=True, relevant=False, fingerprint=fingerprint, reason="name"
    )
