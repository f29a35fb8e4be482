"""Behavioural probes: pandas programs run inside each environment, their results compared.

``run`` sends the probe runner (inprocess/probe_runner.py) into targets and reads back a
ProbeRun; ``user`` prepares the user's own function and data to travel with it; ``compare``
turns ProbeRuns of several environments into findings, each with the version change behind it.
"""
