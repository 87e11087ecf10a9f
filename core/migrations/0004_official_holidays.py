"""Load the official holiday calendar (REC-02) on a fresh installation.

The statutory holidays and make-up working days (调休) of every year the chinese-calendar
package covers (core/holidays.py). Later years come in with ``manage.py calendar_update``.
"""

from django.db import migrations


def load(apps, schema_editor):
    from core.holidays import official_days

    CalendarDay = apps.get_model("core", "CalendarDay")
    have = set(CalendarDay.objects.values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        CalendarDay(date=day, kind=kind, name=name)
        for day, kind, name in official_days()
        if day not in have
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0003_user_constraint_message")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
