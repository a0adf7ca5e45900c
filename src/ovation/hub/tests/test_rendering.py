from ovation.hub.forms import parse_questions
from ovation.hub.rendering import render_markdown


def test_markdown_is_rendered_and_sanitised():
    html = render_markdown(
        "## Hi\n\n**bold** [ok](https://acme.example) [bad](javascript:alert(1))\n\n"
        "<script>alert(1)</script><img src=x onerror=alert(1)><iframe src=//evil></iframe>"
    )
    assert "<h2>Hi</h2>" in html and "<strong>bold</strong>" in html
    assert 'href="https://acme.example"' in html and 'rel="noopener noreferrer nofollow"' in html
    for bad in ("<script", "javascript:", "onerror", "<iframe"):
        assert bad not in html


def test_builder_question_format():
    questions = parse_questions("2+2?\n- 3\n* 4\n? Basic maths\n\nCapital of Belgium?\n= Brussels")
    assert questions == [
        {
            "prompt": "2+2?",
            "options": ["3", "4"],
            "correct_option": 1,
            "explanation": "Basic maths",
        },
        {"prompt": "Capital of Belgium?", "answer_text": "Brussels", "explanation": ""},
    ]


def test_builder_question_errors_name_the_question():
    import pytest

    with pytest.raises(ValueError, match="question 2: mark the correct option"):
        parse_questions("A?\n* yes\n- no\n\nB?\n- x\n- y")
    with pytest.raises(ValueError, match="question 1: only one option"):
        parse_questions("A?\n* yes\n* no")
