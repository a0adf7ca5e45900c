from django.db import migrations


def create_defaults(apps, schema_editor):
    from ovation.hub.defaults import BADGES, LEVELS

    Level = apps.get_model("hub", "Level")
    Badge = apps.get_model("hub", "Badge")
    if not Level.objects.exists():
        Level.objects.bulk_create([Level(name=n, threshold=t, description=d) for n, t, d in LEVELS])
    if not Badge.objects.exists():
        Badge.objects.bulk_create(
            [
                Badge(slug=s, name=n, description=d, artwork=a, rule=r, threshold=t)
                for s, n, d, a, r, t in BADGES
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("hub", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
