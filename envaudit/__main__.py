from envaudit.cli import run

run()
