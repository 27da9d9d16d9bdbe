"""The emitter's cursor, from the moment the webhooks arrive: what changed before is not told."""

from django.db import migrations
from django.utils import timezone


def start(apps, schema_editor):
    change_log = apps.get_model("editorial", "ChangeLog")
    cursor = apps.get_model("webhooks", "Cursor")
    if cursor.objects.exists():
        return
    now = timezone.now()
    seq = change_log.objects.filter(at__lt=now).order_by("-at", "-seq").values_list("seq", flat=True).first() or 0
    position = {"origin": seq, "seq": seq, "time": now.isoformat(), "type": "", "id": 0}  # events.start_cursor
    cursor.objects.create(position=position, started_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("editorial", "0004_idempotentrequest"),
    ]

    operations = [migrations.RunPython(start, migrations.RunPython.noop)]
