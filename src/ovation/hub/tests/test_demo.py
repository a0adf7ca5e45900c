import pytest

from ovation.core.demokit import DemoContext
from ovation.hub import demo
from ovation.hub.models import Challenge, HubProfile, Submission
from ovation.ledger.services import ledger_reconcile
from ovation.users.models import User

from .factories import ContactFactory


@pytest.mark.django_db
def test_demo_builds_a_live_hub():
    User.objects.create_user("manager@acme.test", role=User.Role.MANAGER)
    for i in range(12):
        ContactFactory(
            crm_id=f"ACME-CON-{i}", stage=["champion", "advocate", "promoter", "customer"][i % 4]
        )
    ctx = DemoContext(seed=7)
    demo.load(ctx)
    assert demo.already_loaded(ctx)
    assert set(Challenge.objects.values_list("kind", flat=True)) == set(Challenge.Kind.values)
    assert HubProfile.objects.count() == 12
    statuses = set(Submission.objects.values_list("status", flat=True))
    assert statuses == {"approved", "pending", "rejected", "failed"}
    assert ledger_reconcile() == []
    star = HubProfile.objects.order_by("id").first().contact
    assert star.stage == "champion"
    assert ctx.logins == [
        f"Advocate hub: http://127.0.0.1:8000/hub/ — sign in as {star.email}; the code is printed in the server console"
    ]
    demo.reset(ctx)
    assert not demo.already_loaded(ctx) and ledger_reconcile() == []
