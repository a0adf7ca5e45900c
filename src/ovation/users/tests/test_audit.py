import pytest

from ovation.directory.models import Contact
from ovation.directory.services import consent_record
from ovation.ledger.services import ledger_post
from ovation.users.models import AuditEvent, User
from ovation.users.services import api_token_create, user_role_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return User.objects.create_user("root@acme.test", "pw", role=User.Role.ADMIN)


def test_audited_actions_record_who_what_and_from_where(client, admin):
    contact = Contact.objects.create(email="janey@example.com", first_name="Janey")
    manager = User.objects.create_user("m@acme.test", role=User.Role.MANAGER)
    client.force_login(admin)
    client.post(
        f"/settings/users/{manager.pk}/",
        {"action": "role", "role": "sales"},
        REMOTE_ADDR="10.1.2.3",
    )
    consent_record(contact=contact, purpose="logo", is_granted=False, source="staff", actor=admin)
    ledger_post(
        contact=contact,
        amount=50,
        kind="adjust",
        idempotency_key="adj-1",
        reason="goodwill",
        actor=admin,
    )
    api_token_create(user=admin, scope="write")

    events = list(AuditEvent.objects.order_by("id").values_list("action", "actor_label", "ip"))
    assert events == [
        ("user.role_changed", "root@acme.test", "10.1.2.3"),
        ("consent.withdrawn", "root@acme.test", None),
        ("points.adjust", "root@acme.test", None),
        ("api_token.created", "root@acme.test", None),
    ]
    assert AuditEvent.objects.get(action="user.role_changed").data == {
        "from": "manager",
        "to": "sales",
    }


def test_audit_events_cannot_be_changed_or_deleted(admin):
    user_role_change(
        user=User.objects.create_user("x@acme.test", role="csm"), role="sales", actor=admin
    )
    event = AuditEvent.objects.get()
    event.action = "nothing.happened"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.get().action == "user.role_changed"


def test_only_admins_see_and_export_the_audit_log(client, admin):
    user_role_change(
        user=User.objects.create_user("x@acme.test", role="csm"), role="sales", actor=admin
    )
    client.force_login(User.objects.create_user("m@acme.test", role=User.Role.MANAGER))
    assert client.get("/settings/audit/").status_code == 403
    client.force_login(admin)
    page = client.get("/settings/audit/", {"action": "user."})
    assert page.status_code == 200 and b"user.role_changed" in page.content
    export = client.get("/settings/audit/", {"format": "csv"})
    body = b"".join(export.streaming_content).decode()
    assert (
        body.splitlines()[0]
        == "created_at,actor_label,action,target_type,target_id,target_label,ip,data"
    )
    assert "user.role_changed" in body
    assert AuditEvent.objects.filter(action="audit.exported").count() == 1


def test_settings_index_lists_only_what_the_role_may_use(client, admin):
    client.force_login(User.objects.create_user("s@acme.test", role=User.Role.SALES))
    page = client.get("/settings/").content.decode()
    assert "API tokens" in page and "Audit log" not in page and "Staff users" not in page
    client.force_login(admin)
    page = client.get("/settings/").content.decode()
    assert "Audit log" in page and "Staff users" in page
