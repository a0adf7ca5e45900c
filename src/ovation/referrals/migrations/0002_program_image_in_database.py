from django.db import migrations, models


def images_into_database(apps, schema_editor):
    """Copy each program's uploaded file (if it is still there and really an image) into the
    database; a file that is missing or not an image is dropped, the program keeps working."""
    from django.core.files.storage import default_storage

    from ovation.core.errors import ServiceError
    from ovation.core.images import image_clean

    Program = apps.get_model("referrals", "ReferralProgram")
    for program in Program.objects.exclude(image="").exclude(image__isnull=True):
        try:
            with default_storage.open(program.image.name, "rb") as handle:
                data = handle.read()
            program.image_data, program.image_type = image_clean(
                data=data, kinds=("png", "jpeg", "gif", "webp"), max_bytes=2 * 1024 * 1024
            )
        except (OSError, ServiceError):
            continue
        program.save(update_fields=["image_data", "image_type"])


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="referralprogram",
            name="image_data",
            field=models.BinaryField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="referralprogram",
            name="image_type",
            field=models.CharField(blank=True, editable=False, max_length=40),
        ),
        migrations.RunPython(images_into_database, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="referralprogram",
            name="image",
        ),
    ]
