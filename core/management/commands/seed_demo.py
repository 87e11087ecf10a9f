from typing import Any

from django.core.management.base import BaseCommand

from core.demo import DEMO_PASSWORD, seed


class Command(BaseCommand):
    help = "Load the demo data (sample data, marked 示例). Safe to run twice."

    def handle(self, *args: Any, **opts: Any) -> None:
        from core.documents import documents_issue_pending
        from core.documents.seal import ca_create

        ca_create()  # the demo CA (GAVEL_DOCUMENTS_CA_*; an existing one is kept)
        ctx = seed()
        from core.documents.service_proof import deemed_service_documents_due

        deemed_service_documents_due()  # 公告送达证明 of publications already deemed served
        issued = 0
        while done := documents_issue_pending(limit=20):  # the seed's events queued them
            issued += done
        self.stdout.write(f"已出具并加盖电子印章的文书 / sealed documents issued: {issued}")
        self.stdout.write(
            f"示例数据已就绪 / demo data ready. Sign-ins (password for all: {DEMO_PASSWORD}):"
        )
        for username, user in ctx.get("users", {}).items():
            self.stdout.write(f"  {username:<10} {user.get_role_display()}  {user}")
