"""Every default a user can change, named once: flags, config keys and library calls all read them here."""

from __future__ import annotations

TIMEOUT = 120.0  # seconds per target (--timeout)
JOBS = 4  # targets scanned at once (--jobs)
MAX_TIMEOUT = 7 * 24 * 3600.0  # a week: beyond it a time limit is no limit, and clocks overflow
TOLERANCE = 1e-9  # relative, when comparing the values of user probes (--tolerance)
PROBE_TIMEOUT = 60.0  # seconds per user probe ([tool.envaudit.probe] timeout)
SERVICE_TIMEOUT = 15.0  # seconds per advisory service request (--service-timeout)
SERVICE = "osv"  # the online advisory service (--service)
SSH_CONNECT_TIMEOUT = 10  # seconds for ssh to connect (ConnectTimeout)
GATE_TARGET = "local"  # what the gate checks when neither config nor flag says
GATE_FAIL_ON = "warning"
