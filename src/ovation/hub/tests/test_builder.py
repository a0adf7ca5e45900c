import pytest
from django.urls import reverse

from ovation.hub.models import Challenge


def _form(**overrides):
    data = {
        "title": "Acme trivia",
        "kind": "quiz",
        "status": "published",
        "summary": "Quick one",
        "body": "Answer **two** questions",
        "points": "80",
        "effort_minutes": "2",
        "motivators": ["mastery"],
        "approval_mode": "auto",
        "proof_kind": "none",
        "per_person_limit": "1",
        "pass_mark_percent": "100",
        "audience_stages": ["advocate", "champion"],
        "questions_text": "2+2?\n- 3\n* 4\n\nCapital of Belgium?\n= Brussels",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_builder_creates_a_quiz(manager_client, defaults):
    response = manager_client.post(reverse("hub:staff-challenge-create"), _form())
    assert response.status_code == 302
    challenge = Challenge.objects.get()
    assert (challenge.kind, challenge.points, challenge.motivators) == ("quiz", 80, ["mastery"])
    assert challenge.audience_stages == ["advocate", "champion"]
    assert challenge.body_html == "<p>Answer <strong>two</strong> questions</p>"
    assert [(q.prompt, q.correct_option, q.answer_text) for q in challenge.questions.all()] == [
        ("2+2?", 1, ""),
        ("Capital of Belgium?", None, "Brussels"),
    ]
    edit = manager_client.get(
        reverse("hub:staff-challenge-edit", args=[challenge.pk])
    ).content.decode()
    assert "* 4" in edit


@pytest.mark.django_db
def test_builder_errors_name_the_field_and_save_nothing(manager_client, defaults):
    response = manager_client.post(
        reverse("hub:staff-challenge-create"), _form(questions_text="2+2?\n- 3\n- 4")
    )
    assert response.status_code == 400
    assert "question 1: mark the correct option with *" in response.content.decode()
    response = manager_client.post(
        reverse("hub:staff-challenge-create"),
        _form(kind="review", questions_text="", disclosure_text=""),
    )
    assert response.status_code == 400
    assert "needs the incentive disclosure text" in response.content.decode()
    assert Challenge.objects.count() == 0


@pytest.mark.django_db
def test_live_preview_renders_sanitised_markdown(manager_client):
    response = manager_client.post(
        reverse("hub:staff-challenge-preview"),
        {
            "title": "Speak at Summit",
            "kind": "speaking",
            "points": "900",
            "body": "**Hi** <script>x</script>",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Speak at Summit" in html and "+900" in html and "<strong>Hi</strong>" in html
    assert "<script>" not in html
