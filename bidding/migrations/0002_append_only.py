"""Bids, panel decisions and court actions are never edited (REC-06, REC-08)."""

from django.db import migrations

from core.dbutil import append_only


class Migration(migrations.Migration):
    dependencies = [("bidding", "0001_initial")]

    operations = [
        append_only("bidding_bid"),
        append_only("bidding_paneldecision"),
        append_only("bidding_courtaction"),
    ]
