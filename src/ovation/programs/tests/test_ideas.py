"""Ideas: one vote per person (also under concurrency), comments, status with a public
reason, and "you said, we did" reaching exactly the author, voters and commenters once."""

import threading

import pytest
from django.db import connection

from ovation.activity.models import Activity, DomainEvent
from ovation.automations.models import EmailMessage
from ovation.core.errors import Conflict, ServiceError
from ovation.programs import selectors, services
from ovation.programs.models import Idea, IdeaStatusChange, IdeaVote, Notice

from .factories import EventFactory, advocate, staff

pytestmark = pytest.mark.django_db


def test_submit_counts_the_authors_vote_and_records_activity():
    author = advocate()
    idea = services.idea_create(
        contact=author, title="  Export   dashboards to PDF ", description="For the board"
    )
    assert idea.title == "Export dashboards to PDF"
    assert idea.vote_count == 1
    assert Activity.objects.filter(kind="idea.submitted", contact=author).count() == 1
    with pytest.raises(ServiceError) as exc:
        services.idea_create(contact=author, title="PDF")
    assert exc.value.field == "title"
    assert Idea.objects.count() == 1


def test_one_vote_per_person_and_toggle():
    idea = services.idea_create(contact=advocate(), title="Dark mode please")
    voter = advocate()
    assert services.idea_vote(idea=idea, contact=voter, voted=True) is True
    assert services.idea_vote(idea=idea, contact=voter, voted=True) is False
    idea.refresh_from_db()
    assert idea.vote_count == 2
    assert services.idea_vote(idea=idea, contact=voter, voted=False) is True
    assert services.idea_vote(idea=idea, contact=voter, voted=False) is False
    idea.refresh_from_db()
    assert idea.vote_count == 1
    assert IdeaVote.objects.filter(idea=idea).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_vote_counts_once():
    idea = services.idea_create(contact=advocate(), title="Slack alerts for anomalies")
    voter = advocate()
    barrier, errors = threading.Barrier(6), []

    def vote():
        try:
            barrier.wait()
            services.idea_vote(idea=idea, contact=voter, voted=True)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    idea.refresh_from_db()
    assert IdeaVote.objects.filter(idea=idea, contact=voter).count() == 1
    assert idea.vote_count == 2  # the author's and this voter's


def test_shipping_notifies_author_voters_and_commenters_exactly_once():
    manager = staff()
    author, voter, commenter, both, bystander = (advocate() for _ in range(5))
    idea = services.idea_create(contact=author, title="Export dashboards to PDF")
    services.idea_vote(idea=idea, contact=voter)
    services.idea_vote(idea=idea, contact=both)
    services.idea_comment(idea=idea, contact=commenter, body="We need this for the board pack")
    services.idea_comment(idea=idea, contact=both, body="+1")
    services.idea_comment(idea=idea, contact=both, body="Any news?")
    services.idea_comment(idea=idea, actor=manager, body="On the roadmap for Q3")
    services.idea_vote(
        idea=services.idea_create(contact=bystander, title="Something else entirely"),
        contact=bystander,
    )

    services.idea_status_set(idea=idea, status="planned", reason="Q3", actor=manager)
    assert not Notice.objects.exists()
    services.idea_status_set(
        idea=idea, status="shipped", reason="PDF export is live in 4.2", actor=manager
    )
    # Re-opened and shipped again: nobody hears twice.
    services.idea_status_set(
        idea=idea, status="in_progress", reason="A fix for large tables", actor=manager
    )
    services.idea_status_set(idea=idea, status="shipped", reason="Fixed in 4.2.1", actor=manager)

    expected = sorted([author.pk, voter.pk, commenter.pk, both.pk])
    notices = Notice.objects.filter(kind="you_said_we_did")
    assert sorted(notices.values_list("contact_id", flat=True)) == expected
    assert (
        notices.get(contact=author).body
        == "You suggested it, and it's live: PDF export is live in 4.2"
    )
    mails = EmailMessage.objects.filter(template="you_said_we_did")
    assert sorted(mails.values_list("contact_id", flat=True)) == expected
    assert mails.get(contact=voter).context["event"]["title"] == "Export dashboards to PDF"
    assert DomainEvent.objects.filter(type="idea.shipped").count() == 1
    event = DomainEvent.objects.get(type="idea.shipped")
    assert sorted(event.data["notified_contact_ids"]) == expected
    assert selectors.notices_for(contact=bystander) == []
    assert [n.title for n in selectors.notices_for(contact=voter)] == [
        "You said, we did: Export dashboards to PDF"
    ]
    assert IdeaStatusChange.objects.filter(idea=idea).count() == 4


def test_decline_and_ship_need_a_public_reason_and_voting_closes():
    idea = services.idea_create(contact=advocate(), title="Blockchain everything")
    with pytest.raises(ServiceError) as exc:
        services.idea_status_set(idea=idea, status="declined", reason=" ")
    assert exc.value.field == "reason"
    idea.refresh_from_db()
    assert idea.status == "new"
    services.idea_status_set(idea=idea, status="declined", reason="Not a fit for our customers")
    with pytest.raises(Conflict):
        services.idea_vote(idea=idea, contact=advocate())
    idea.refresh_from_db()
    assert idea.vote_count == 1


def test_roadmap_columns_by_status():
    a = services.idea_create(contact=advocate(), title="Planned idea one")
    b = services.idea_create(contact=advocate(), title="Shipped idea two")
    services.idea_status_set(idea=a, status="planned")
    services.idea_status_set(idea=b, status="shipped", reason="Live")
    columns = {c["status"]: [i.title for i in c["ideas"]] for c in selectors.roadmap()}
    assert columns == {
        "under_review": [],
        "planned": ["Planned idea one"],
        "in_progress": [],
        "shipped": ["Shipped idea two"],
    }


def test_question_set_answers_and_aggregates():
    event = EventFactory(is_open_to_all=True)
    qset = services.question_set_save(
        event=event,
        title="Roadmap input",
        questions=[
            {"prompt": "How useful is forecasting?", "kind": "scale"},
            {"prompt": "What first?", "kind": "choice", "options": ["PDF", "Slack", ""]},
            {"prompt": "Anything else?", "kind": "text"},
        ],
    )
    q1, q2, q3 = qset.questions.all()
    services.question_response_submit(
        question_set=qset,
        contact=advocate(),
        answers={str(q1.pk): "5", str(q2.pk): "0", str(q3.pk): "More exports"},
    )
    services.question_response_submit(
        question_set=qset, contact=advocate(), answers={str(q1.pk): "4", str(q2.pk): "0"}
    )
    services.question_response_submit(
        question_set=qset, contact=advocate(), answers={str(q1.pk): "3", str(q2.pk): "1"}
    )
    bad = advocate()
    with pytest.raises(ServiceError) as exc:
        services.question_response_submit(question_set=qset, contact=bad, answers={str(q1.pk): "9"})
    assert exc.value.field == f"q{q1.pk}"
    results = selectors.question_set_results(question_set=qset)
    assert results["responses"] == 3
    scale, choice, text = results["questions"]
    assert scale["average"] == 4.0
    assert [d["count"] for d in scale["distribution"]] == [0, 0, 1, 1, 1]
    assert [(o["label"], o["count"], o["pct"]) for o in choice["options"]] == [
        ("PDF", 2, 67),
        ("Slack", 1, 33),
    ]
    assert text["texts"] == ["More exports"]
    # Questions are frozen once answered.
    with pytest.raises(Conflict):
        services.question_set_save(
            event=event, title="New", questions=[{"prompt": "Q", "kind": "text"}]
        )
