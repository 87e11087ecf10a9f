"""Compile .po to .mo when gettext is present; the repository ships compiled .mo files too."""

import shutil
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile translations if msgfmt is available (the shipped .mo files are used otherwise)."

    def handle(self, *args: Any, **opts: Any) -> None:
        if shutil.which("msgfmt"):
            call_command("compilemessages", verbosity=0, ignore_patterns=[".venv/*", "var/*"])
