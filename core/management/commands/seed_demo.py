from typing import Any

from django.core.management.base import BaseCommand

from core.demo import DEMO_PASSWORD, seed


class Command(BaseCommand):
    help = "Load the demo data (sample data, marked 示例). Safe to run twice."

    def handle(self, *args: Any, **opts: Any) -> None:
        ctx = seed()
        self.stdout.write(
            f"示例数据已就绪 / demo data ready. Sign-ins (password for all: {DEMO_PASSWORD}):"
        )
        for username, user in ctx.get("users", {}).items():
            self.stdout.write(f"  {username:<10} {user.get_role_display()}  {user}")
