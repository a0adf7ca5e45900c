"""Hypothesis fuzzing of every CSV importer (`ovation.directory.imports` engine): random bytes,
random encodings, quotes, delimiters, newlines inside cells, junk columns and hostile values.

Whatever comes in, the import either refuses the file with an ImportSetupError (a message, and
`row N: ...` when it is about a row) or returns a result whose every error names its row (>= 2;
the header is row 1) and a field. Never an unhandled exception. Runs as dry runs, so nothing
is written."""

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovation.directory.imports.base import ImportSetupError, load_importer, run_import

pytestmark = pytest.mark.django_db


def _kinds():
    return sorted(django_settings.OVATION_IMPORTERS)


KINDS = _kinds()
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

HOSTILE = [
    "",
    " ",
    '"',
    '""',
    "'; DROP TABLE directory_contact; --",
    '=HYPERLINK("http://evil.test")',
    "<script>alert(1)</script>",
    "9" * 40,
    "-1",
    "1e309",
    "NaN",
    "2024-02-30",
    "31/12/2024",
    "not-an-email",
    "a@b",
    "ÀÉÎõü 名前 🎉",
    "\u202etxt.exe",
    "line\nbreak",
    "tab\tand,comma",
    "\x00",
]
cell = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))


def _importer(kind):
    try:
        return load_importer(kind)
    except ImportSetupError as exc:
        pytest.skip(f"{kind}: {exc}")


@st.composite
def csv_files(draw, field_names):
    columns = draw(
        st.lists(
            st.one_of(st.sampled_from(field_names), st.text(min_size=1, max_size=12)),
            min_size=1,
            max_size=len(field_names) + 2,
            unique=True,
        )
    )
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=len(columns) + 2), max_size=8))

    def quote(value: str) -> str:
        if draw(st.booleans()) or any(c in value for c in '",;\t\n\r'):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(quote(c) for c in columns)]
    lines += [delimiter.join(quote(c) for c in row) for row in rows]
    if draw(st.booleans()):
        lines.append('"unterminated')
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


def _check(importer, data: bytes) -> None:
    try:
        result = run_import(importer, data, dry_run=True)
    except ImportSetupError as exc:
        message = str(exc)
        assert message
        if message.startswith("row "):
            assert message.split(":", 1)[0].split()[1].isdigit(), message
        return
    for error in result.errors:
        assert isinstance(error.row, int) and error.row >= 2, error
        assert error.field, error
        assert error.message, error
        assert str(error).startswith(f"row {error.row}: {error.field}: ")
    assert result.written is False


@pytest.mark.parametrize("kind", KINDS)
def test_random_bytes_never_crash_an_importer(kind):
    importer = _importer(kind)

    @FUZZ
    @given(st.binary(max_size=400))
    def run(data):
        _check(importer, data)

    run()


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_csv_never_crashes_and_every_error_names_row_and_field(kind):
    importer = _importer(kind)
    names = [f.name for f in importer.fields]

    @FUZZ
    @given(csv_files(names))
    def run(data):
        _check(importer, data)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_hostile_csv_long_run(kind):
    importer = _importer(kind)
    names = [f.name for f in importer.fields]

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(csv_files(names))
    def run(data):
        _check(importer, data)

    run()


def test_decimal_parser_rejects_a_huge_number_with_a_message():
    from ovation.directory.imports.base import parsers

    with pytest.raises(ValueError, match="9999"):
        parsers.decimal(min_value=0)("9" * 40)
