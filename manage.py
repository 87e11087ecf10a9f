#!/usr/bin/env python
"""Django's command-line utility for Gavel."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if sys.argv[1:2] == ["demo"]:
        # The local demo (`make demo`) runs with DEBUG on, so with the demo's own secret key,
        # no second factor and static files served, unless the environment says otherwise.
        # Settings are read before any command runs, hence here (config/settings.py).
        os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
