import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ovation.directory.models import Account


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_round_trips_the_data(tmp_path):
    Account.objects.create(name="Kept Ltd")
    backup = tmp_path / "ovation.backup"
    call_command("backup", str(backup))
    Account.objects.create(name="Added after the backup")
    Account.objects.filter(name="Kept Ltd").delete()

    call_command("restore", str(backup), "--yes")

    assert sorted(Account.objects.values_list("name", flat=True)) == ["Kept Ltd"]


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file check is SQLite-only; pg_restore reports its own error")
    Account.objects.create(name="Kept Ltd")
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    with pytest.raises(CommandError, match="not an Ovation SQLite backup"):
        call_command("restore", str(bogus), "--yes")
    assert list(Account.objects.values_list("name", flat=True)) == ["Kept Ltd"]


@pytest.mark.django_db(transaction=True)
def test_backup_to_a_full_disk_is_reported_and_leaves_no_partial_file(tmp_path, monkeypatch):
    import errno
    import os

    real_replace = os.replace

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    target = tmp_path / "ovation.backup"
    with pytest.raises(CommandError, match="the disk is full; nothing was written"):
        call_command("backup", str(target))
    monkeypatch.setattr(os, "replace", real_replace)
    assert not target.exists()
    assert not (tmp_path / "ovation.backup.partial").exists()
