"""Programs: eligibility, nominations and applications, approval, capacity and the ordered
waitlist, including under concurrent applications (real threads)."""

import threading

import pytest
from django.db import connection

from ovation.activity.models import Activity, DomainEvent
from ovation.automations.models import EmailMessage
from ovation.core.errors import Conflict, ServiceError
from ovation.directory.models import Contact
from ovation.programs import selectors, services
from ovation.programs.models import Membership, Notice, Program
from ovation.users.models import User

from .factories import ContactFactory, ProgramFactory, RegionFactory, advocate, staff

pytestmark = pytest.mark.django_db
S = Membership.Status


def test_application_approved_joins_writes_activity_event_notice_and_email():
    manager = staff()
    program = ProgramFactory(name="Customer Advisory Board", capacity=10)
    contact = advocate(first_name="Nina")

    m = services.membership_apply(program=program, contact=contact, note="I run 40 analysts")
    assert m.status == S.APPLIED
    assert not Activity.objects.filter(kind="program.joined").exists()

    m = services.membership_approve(membership=m, actor=manager, role="chair")

    m.refresh_from_db()
    assert (m.status, m.role, m.decided_by) == (S.ACTIVE, "chair", manager)
    act = Activity.objects.get(kind="program.joined", contact=contact)
    assert act.data["program_id"] == program.pk and act.data["program_kind"] == "cab"
    assert DomainEvent.objects.filter(type="program.joined", contact=contact).count() == 1
    assert Notice.objects.get(contact=contact).title == "Welcome to Customer Advisory Board"
    mail = EmailMessage.objects.get(contact=contact)
    assert mail.context["subject"] == "Welcome to Customer Advisory Board"
    assert selectors.program_ids_for_contact(contact=contact) == [program.pk]


def test_capacity_full_approval_goes_to_waitlist_and_leaving_promotes_in_order():
    manager = staff()
    program = ProgramFactory(capacity=2)
    people = [advocate() for _ in range(5)]
    memberships = [services.membership_apply(program=program, contact=c) for c in people]
    results = [services.membership_approve(membership=m, actor=manager).status for m in memberships]
    assert results == [S.ACTIVE, S.ACTIVE, S.WAITLISTED, S.WAITLISTED, S.WAITLISTED]

    # The first member leaves: the first waitlisted (people[2]) gets the seat, not people[4].
    services.membership_leave(membership=memberships[0])
    statuses = {c.pk: Membership.objects.get(contact=c).status for c in people}
    assert statuses == {
        people[0].pk: S.LEFT,
        people[1].pk: S.ACTIVE,
        people[2].pk: S.ACTIVE,
        people[3].pk: S.WAITLISTED,
        people[4].pk: S.WAITLISTED,
    }
    assert Activity.objects.filter(kind="program.joined", contact=people[2]).count() == 1
    # Raising the capacity seats the next on the waitlist, in order.
    services.program_update(program=program, capacity=3)
    assert Membership.objects.filter(program=program, status=S.ACTIVE).count() == 3
    assert Membership.objects.get(contact=people[3]).status == S.ACTIVE
    assert Membership.objects.get(contact=people[4]).status == S.WAITLISTED


def test_waitlisted_member_leaving_does_not_free_a_seat():
    manager = staff()
    program = ProgramFactory(capacity=1)
    a, b, c = (advocate() for _ in range(3))
    for contact in (a, b, c):
        services.membership_approve(
            membership=services.membership_apply(program=program, contact=contact), actor=manager
        )
    services.membership_leave(membership=Membership.objects.get(contact=b))
    assert Membership.objects.get(contact=a).status == S.ACTIVE
    assert Membership.objects.get(contact=c).status == S.WAITLISTED


def test_auto_approval_program_seats_then_waitlists():
    program = ProgramFactory(kind="beta", capacity=1, approval_mode="auto")
    first = services.membership_apply(program=program, contact=advocate())
    second = services.membership_apply(program=program, contact=advocate())
    assert (first.status, second.status) == (S.ACTIVE, S.WAITLISTED)


def test_eligibility_refuses_with_reason_and_writes_nothing():
    emea = RegionFactory(name="EMEA")
    na = RegionFactory(name="North America")
    program = ProgramFactory(name="EMEA user group", eligible_stages=["advocate", "champion"])
    program.eligible_regions.set([emea])
    promoter = advocate(stage="promoter", account__region=na)

    with pytest.raises(ServiceError) as exc:
        services.membership_apply(program=program, contact=promoter)

    assert exc.value.field == "program"
    assert "open to advocates or champions; you are a promoter" in exc.value.message
    assert "based in EMEA" in exc.value.message
    assert not Membership.objects.exists()
    ok = advocate(stage="champion", account__region=emea)
    assert services.membership_apply(program=program, contact=ok).status == S.APPLIED


def test_closed_program_and_double_application_are_refused():
    program = ProgramFactory(is_accepting_applications=False)
    contact = advocate()
    with pytest.raises(Conflict):
        services.membership_apply(program=program, contact=contact)
    program.is_accepting_applications = True
    program.save()
    services.membership_apply(program=program, contact=contact)
    with pytest.raises(Conflict, match="already applied"):
        services.membership_apply(program=program, contact=contact)
    assert Membership.objects.count() == 1


def test_csm_nominates_manager_approves_and_decline_keeps_reason():
    csm = staff(User.Role.CSM)
    manager = staff()
    program = ProgramFactory(capacity=5)
    contact = ContactFactory()
    m = services.membership_nominate(program=program, contact=contact, actor=csm, note="Great fit")
    assert (m.status, m.nominated_by) == (S.NOMINATED, csm)
    other = services.membership_nominate(program=program, contact=ContactFactory(), actor=csm)
    services.membership_decline(membership=other, actor=manager, reason="Full this term")
    other.refresh_from_db()
    assert (other.status, other.decision_reason) == (S.DECLINED, "Full this term")
    assert services.membership_approve(membership=m, actor=manager).status == S.ACTIVE
    with pytest.raises(Conflict):
        services.membership_approve(membership=m, actor=manager)


def test_declined_advocate_cannot_reapply_but_leaver_can():
    manager = staff()
    program = ProgramFactory()
    declined, leaver = advocate(), advocate()
    services.membership_decline(
        membership=services.membership_apply(program=program, contact=declined), actor=manager
    )
    with pytest.raises(Conflict):
        services.membership_apply(program=program, contact=declined)
    m = services.membership_approve(
        membership=services.membership_apply(program=program, contact=leaver), actor=manager
    )
    services.membership_leave(membership=m)
    assert services.membership_apply(program=program, contact=leaver).status == S.APPLIED


def test_hub_programs_explains_eligibility():
    emea = RegionFactory(name="EMEA")
    program = ProgramFactory(name="EMEA user group", kind="user_group")
    program.eligible_regions.set([emea])
    mine = ProgramFactory(name="Beta")
    contact = advocate(account__region=RegionFactory(name="APAC"))
    services.membership_approve(
        membership=services.membership_apply(program=mine, contact=contact), actor=staff()
    )
    my_programs, others = selectors.hub_programs(contact=contact)
    assert [i.program.name for i in my_programs] == ["Beta"]
    assert [i.program.name for i in others] == ["EMEA user group"]
    assert others[0].eligibility.summary == "Not yet: it is for customers based in EMEA."
    assert not others[0].can_apply


def _run_in_threads(funcs):
    errors, barrier = [], threading.Barrier(len(funcs))

    def run(fn):
        try:
            barrier.wait()
            fn()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f,)) for f in funcs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_applications_never_exceed_capacity():
    program = ProgramFactory(kind="beta", capacity=3, approval_mode="auto")
    contacts = [advocate() for _ in range(8)]

    errors = _run_in_threads(
        [lambda c=c: services.membership_apply(program=program, contact=c) for c in contacts]
    )

    assert errors == []
    statuses = list(Membership.objects.filter(program=program).values_list("status", flat=True))
    assert sorted(statuses).count(S.ACTIVE) == 3
    assert statuses.count(S.WAITLISTED) == 5
    assert Activity.objects.filter(kind="program.joined").count() == 3
    # Leaving promotes the earliest waitlisted.
    first_waiting = (
        Membership.objects.filter(program=program, status=S.WAITLISTED)
        .order_by("waitlisted_at", "id")
        .first()
    )
    services.membership_leave(membership=Membership.objects.filter(status=S.ACTIVE).first())
    first_waiting.refresh_from_db()
    assert first_waiting.status == S.ACTIVE
    assert Membership.objects.filter(program=program, status=S.ACTIVE).count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_never_exceed_capacity():
    manager = staff()
    program = ProgramFactory(capacity=2)
    pending = [services.membership_apply(program=program, contact=advocate()) for _ in range(6)]

    errors = _run_in_threads(
        [lambda m=m: services.membership_approve(membership=m, actor=manager) for m in pending]
    )

    assert errors == []
    assert Membership.objects.filter(program=program, status=S.ACTIVE).count() == 2
    assert Membership.objects.filter(program=program, status=S.WAITLISTED).count() == 4


def test_program_validation_names_the_field():
    with pytest.raises(ServiceError) as exc:
        services.program_create(name="X", capacity=0)
    assert exc.value.field == "capacity"
    with pytest.raises(ServiceError) as exc:
        services.program_create(name="X", eligible_stages=["vip"])
    assert exc.value.field == "eligible_stages"
    assert not Program.objects.exists()
    assert Contact.objects.count() == 0
