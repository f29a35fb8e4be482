"""The verbs: one module each (scan fan-out, diff, gate, probe, pin, audit), re-exported by ``api``.

Each takes parsed arguments and returns data; only the CLI prints. Start-up time matters (envaudit
runs before every deploy, often many times in CI), so these modules import little at the top.
"""
