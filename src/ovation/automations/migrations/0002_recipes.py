from django.db import migrations


def install(apps, schema_editor):
    from ovation.automations.recipes import recipes_install

    recipes_install(apps.get_model("automations", "AutomationRule"))


class Migration(migrations.Migration):
    dependencies = [("automations", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
