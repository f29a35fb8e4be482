import sys

from envaudit.cli import main

sys.exit(main())
