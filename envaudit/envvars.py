"""Environment variables: capture, classify as relevant, and redact secrets before anything is stored.

Secrets are detected by name and by value. A redacted variable keeps a *keyed* fingerprint
(HMAC-SHA256 with a per-user or per-team key, see ``FingerprintKey``) so a diff can still say
"same" or "changed". Without the key, a fingerprint cannot be checked against guesses, so even a
short secret cannot be recovered from a snapshot by trying candidates.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import hmac
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from envaudit.errors import InputError, UsageError
from envaudit.model import EnvVar

KEY_ENV_VAR = "ENVAUDIT_FINGERPRINT_KEY"
MIN_KEY_BYTES = 32

# Name parts (split on anything not a letter or digit) that mark a secret.
SECRET_NAME_PARTS = frozenset(
    {
        "TOKEN",
        "SECRET",
        "SECRETS",
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PASSPHRASE",
        "PWD",  # MYSQL_PWD, DB_PWD
        "PW",
        "PIN",
        "KEY",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "AUTH",
        "PRIVATE",
        "SESSION",
        "COOKIE",
        "SIGNATURE",
        "DSN",
        "SAS",
        "PAT",
        "JWT",
        "BEARER",
    }
)
# Suffixes glued to other words, e.g. GHTOKEN, DBPASSWORD, OPENAI_APIKEY.
SECRET_NAME_SUFFIXES = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "PWD", "APIKEY", "ACCESSKEY")
# Names that look secret-ish but are well known not to be.
NOT_SECRET_NAMES = frozenset({"SSH_AUTH_SOCK", "GPG_AGENT_INFO", "KEYTIMEOUT", "XAUTHORITY", "PWD", "OLDPWD"})

# scheme://user:PASSWORD@host: the password runs to the *last* @ of the URL, since a password may
# hold @ and / itself (postgres://app:p@ss/w0rd@db/prod). Masking a little too much beats leaking.
URL_WITH_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:)(?P<password>\S*)(?=@)")
# The same without a scheme: user:PASSWORD@host[:port][/db], as libpq, redis and many tools take.
BARE_WITH_PASSWORD = re.compile(
    r"(?:^|(?<=[\s,;=]))(?P<head>[A-Za-z0-9_.%+\-]*:)(?P<password>(?!//)\S*)"
    r"(?=@[A-Za-z0-9_.\-]+(?::\d+)?(?:[/?,;\s]|$))"
)
# Key=value connection strings (ADO.NET, ODBC, JDBC, libpq): Server=db;User Id=sa;Password=...;
CONNECTION_STRING_SECRET = re.compile(
    r"(?i)(?P<head>(?:^|[;\s])\s*(?:password|pwd|pass|passwd|secret|client\s*secret|token|access\s*token|"
    r"account\s*key|shared\s*access\s*key|accesskey|api\s*key)\s*=\s*)"
    r"(?P<password>\"[^\"]*\"|'[^']*'|\{[^}]*\}|[^;\s]+)"
)
CREDENTIAL_PATTERNS = (
    ("url-password", URL_WITH_PASSWORD),
    ("connection-string", CONNECTION_STRING_SECRET),
    ("url-password", BARE_WITH_PASSWORD),
)
TOKEN_PREFIXES = (
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "gldt-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxs-",
    "xapp-",
    "sk-",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "AKIA",
    "ASIA",
    "AIza",
    "hf_",
    "npm_",
    "pypi-",
    "dop_v1_",
    "shpat_",
    "SG.",
    "eyJ",
    "-----BEGIN",
)
# Query parameters that carry credentials in URLs even when they are short (?sig=..., ?key=...).
_URL_QUERY_NAME = re.compile(r"[?&]([A-Za-z0-9_.\-]+)=")
SECRET_QUERY_NAMES = frozenset(
    {"sig", "signature", "key", "token", "access_token", "code", "auth", "apikey", "secret"}
)
HIGH_ENTROPY_MIN_LENGTH = 20
HIGH_ENTROPY_BITS_PER_CHAR = 3.5
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9+/=_\-.]+$")

# Variables that change how Python code behaves, so a difference in them matters to a diff.
RELEVANT_EXACT = frozenset(
    {"LD_LIBRARY_PATH", "LD_PRELOAD", "DYLD_LIBRARY_PATH", "TZ", "LANG", "LANGUAGE", "CUDA_VISIBLE_DEVICES"}
)
RELEVANT_PREFIXES = ("PYTHON", "OMP_", "MKL_", "OPENBLAS_", "NUMEXPR_", "VECLIB_", "BLIS_", "LC_", "PIP_")

# Shell bookkeeping that differs on every login and would only add noise to a diff.
DEFAULT_EXCLUDE = (
    "_",
    "SHLVL",
    "PWD",
    "OLDPWD",
    "SSH_CLIENT",
    "SSH_CONNECTION",
    "SSH_TTY",
    "XDG_SESSION_ID",
    "TERM_SESSION_ID",
    "WINDOWID",
    "COLUMNS",
    "LINES",
)


@dataclass(frozen=True, slots=True)
class EnvPolicy:
    """Which variables are captured (glob patterns on names) and which are always or never redacted."""

    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    redact: tuple[str, ...] = ()  # always redact these names (globs)
    allow: tuple[str, ...] = ()  # never redact these names by name or value (globs); use with care

    def captures(self, name: str) -> bool:
        return _matches(name, self.include) and not _matches(name, self.exclude)


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


@dataclass(frozen=True, slots=True)
class FingerprintKey:
    """The HMAC key for secret fingerprints.

    Taken from ``$ENVAUDIT_FINGERPRINT_KEY`` (share it across a team's CI to compare snapshots made on
    different machines), else from ``$XDG_CONFIG_HOME/envaudit/fingerprint-key`` (created with 32
    random bytes, mode 0600, on first use). If neither can be had, a random key for this run only.
    """

    secret: bytes
    key_id: str

    @classmethod
    def from_bytes(cls, secret: bytes) -> FingerprintKey:
        key_id = hmac.new(secret, b"envaudit fingerprint key id", hashlib.sha256).hexdigest()[:12]
        return cls(secret=secret, key_id=key_id)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> FingerprintKey:
        environ = os.environ if environ is None else environ
        shared = environ.get(KEY_ENV_VAR)
        if shared:
            if len(shared.encode()) < MIN_KEY_BYTES:
                raise UsageError(
                    f"${KEY_ENV_VAR} is {len(shared.encode())} bytes long; a fingerprint key must be at "
                    f"least {MIN_KEY_BYTES} (with a short key, short secrets can be guessed from their "
                    "fingerprints)",
                    tip="make one with: python3 -c 'import secrets; print(secrets.token_hex(32))'",
                )
            return cls.from_bytes(hashlib.sha256(shared.encode()).digest())
        config_home = Path(environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        path = config_home / "envaudit" / "fingerprint-key"
        try:
            return cls._checked(path, path.read_bytes())
        except FileNotFoundError:
            pass
        except OSError:
            return cls._ephemeral()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_key_file(path)
            return cls._checked(path, path.read_bytes())
        except OSError:
            return cls._ephemeral()

    @classmethod
    def _checked(cls, path: Path, secret: bytes) -> FingerprintKey:
        if len(secret) < MIN_KEY_BYTES:
            raise InputError(
                str(path),
                f"holds a {len(secret)}-byte fingerprint key; "
                f"it must be at least {MIN_KEY_BYTES} random bytes",
                tip=f"delete it to have a new one made on the next run, or set ${KEY_ENV_VAR}",
            )
        return cls.from_bytes(secret)

    @classmethod
    def _ephemeral(cls) -> FingerprintKey:
        key = cls.from_bytes(os.urandom(32))
        return cls(secret=key.secret, key_id="ephemeral-" + key.key_id)

    def fingerprint(self, name: str, value: str) -> str:
        digest = hmac.new(self.secret, f"{name}\0{value}".encode(), hashlib.sha256).hexdigest()
        return "hmac-sha256:" + digest[:16]


def _create_key_file(path: Path) -> None:
    """Create the key file atomically: the full key is written to a private temporary file, then
    linked into place. A concurrent first run either wins the link or finds the winner's complete
    file: no process ever reads a partial or empty key, and all agree on one."""
    import tempfile  # once per machine, when the key is made: not on every scan's start-up

    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".fingerprint-key.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(MIN_KEY_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        # If another process made it first, its key is the one.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        Path(temporary).unlink()


def is_relevant(name: str) -> bool:
    return name in RELEVANT_EXACT or name.startswith(RELEVANT_PREFIXES)


def secret_by_name(name: str) -> bool:
    upper = name.upper()
    if upper in NOT_SECRET_NAMES:
        return False
    parts = [p for p in re.split(r"[^A-Z0-9]+", upper) if p]
    return any(p in SECRET_NAME_PARTS or p.endswith(SECRET_NAME_SUFFIXES) for p in parts)


def shannon_bits_per_char(text: str) -> float:
    counts = Counter(text)
    total = len(text)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def _looks_like_token(piece: str) -> bool:
    if len(piece) < HIGH_ENTROPY_MIN_LENGTH or not _TOKEN_CHARS.match(piece):
        return False
    if piece.startswith(("/", ".", "~")):
        return False  # a path, not a token
    has_digit = any(c.isdigit() for c in piece)
    if len(piece) >= 32 and all(c in "0123456789abcdefABCDEF" for c in piece):
        return True  # a long hex string: a key or a digest-derived token
    # Random tokens mix cases and digits; identifiers (snake_case, kebab-case, lower case) do not.
    mixed = any(c.isupper() for c in piece) and any(c.islower() for c in piece)
    return has_digit and mixed and shannon_bits_per_char(piece) >= HIGH_ENTROPY_BITS_PER_CHAR


def mask_credentials(value: str) -> tuple[str, str | None]:
    """``value`` with every password it carries (in a URL, ``user:pass@host``, a connection
    string) replaced by ****, and why; (value, None) if it carries none."""
    reason = None
    for why, pattern in CREDENTIAL_PATTERNS:
        masked = pattern.sub(r"\g<head>****", value)
        if masked != value:
            reason = reason or why
            value = masked
    return value, reason


def mask_url_credentials(text: str) -> str:
    """``text`` safe to show: passwords in URLs and connection strings masked."""
    return mask_credentials(text)[0]


def secret_by_value(value: str) -> str | None:
    """Why ``value`` looks like a secret, or None."""
    _, reason = mask_credentials(value)
    return reason if reason is not None else _secret_besides_credentials(value)


def _secret_besides_credentials(value: str) -> str | None:
    """Why ``value`` looks secret for another reason than a password in it (a token, a signed URL)."""
    for name in _URL_QUERY_NAME.findall(value):
        if secret_by_name(name) or name.lower() in SECRET_QUERY_NAMES:
            return "url-token"
    for piece in re.split(r"[\s:,;]+", value):
        if piece.startswith(TOKEN_PREFIXES) and len(piece) >= 8:
            return "token-prefix"
    # Whole pieces keep base64 tokens (with / and =) together; in a URL, its path and query pieces
    # are looked at too (a webhook URL, ?token=...). A plain path is never split: its folder names
    # are not tokens.
    patterns = (r"[\s,;]+", r"[\s,;:/?&=#@]+") if "://" in value else (r"[\s,;]+",)
    for pattern in patterns:
        if any(_looks_like_token(piece) for piece in re.split(pattern, value)):
            return "high-entropy"
    return None


def redact_one(name: str, value: str, key: FingerprintKey, policy: EnvPolicy) -> EnvVar:
    relevant = is_relevant(name)
    if _matches(name, policy.allow):
        return EnvVar(name=name, value=value, redacted=False, relevant=relevant)
    if _matches(name, policy.redact):
        reason: str | None = "configured"
    elif secret_by_name(name):
        reason = "name"
    else:
        reason = secret_by_value(value)
    if reason is None:
        return EnvVar(name=name, value=value, redacted=False, relevant=relevant)
    shown = None
    if reason in ("url-password", "connection-string"):
        masked, _ = mask_credentials(value)
        if _secret_besides_credentials(masked) is None:
            # Keep the URL or connection string readable (host, user, path) with only the password masked.
            shown = masked
    return EnvVar(
        name=name,
        value=shown,
        redacted=True,
        relevant=relevant,
        fingerprint=key.fingerprint(name, value),
        reason=reason,
    )


def capture(environ: Mapping[str, str], key: FingerprintKey, policy: EnvPolicy) -> tuple[EnvVar, ...]:
    """Redacted, sorted variables from a raw environment mapping. Clear secrets never leave here."""
    return tuple(
        redact_one(name, value, key, policy)
        for name, value in sorted(environ.items())
        if policy.captures(name)
    )
