from django.db import migrations

from core.dbutil import append_only


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [append_only("core_auditentry"), append_only("core_accesslog")]
