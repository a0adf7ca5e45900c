"""The CSV import engine: one `Importer` object per kind of data, shared by every app.

Ovation imports accounts, contacts and activities (this package), NPS responses (pulse),
opportunities (references), referrals... through the same engine, so that the CLI
(`ovation import KIND FILE`), the staff wizard (`/import/`) and the background task behave the
same for every kind: same file handling, same column mapping, same `row N: field: message`
errors, same `--dry-run` / `--atomic` semantics, same summary counts.

Writing an importer for your app
--------------------------------
Create `ovation/<app>/imports.py` with a module-level `IMPORTER` and register its dotted path
under the kind's name in `settings.OVATION_IMPORTERS` (the lead owns settings)::

    from ovation.directory.imports.base import BatchResult, Field, Importer, parsers

    class NpsImporter(Importer):
        kind = "nps"
        label = "NPS responses"
        fields = [
            Field("email", required=True, parse=parsers.email),
            Field("score", required=True, parse=parsers.integer(min_value=0, max_value=10)),
            Field("answered_at", required=True, parse=parsers.datetime_),
            Field("comment", parse=parsers.text(max_length=5000)),
            Field("external_id", parse=parsers.text(max_length=100)),
        ]
        presets = {
            # source column (as it appears in the file header) -> field name
            "delighted": {"Email": "email", "Score": "score", "Created At": "answered_at",
                          "Comment": "comment", "Response ID": "external_id"},
        }

        def write_batch(self, rows, ctx):
            result = BatchResult()
            for row in rows:
                # row.number: spreadsheet row (header = 1); row.values: parsed values of the
                # mapped, non-blank cells, keyed by field name; row.raw: the original cells.
                if not contact_exists(row.values["email"]):
                    result.reject(row, "email", f"no contact with email {row.values['email']!r}")
                    continue
                ...  # upsert; then exactly one of:
                result.created += 1  # or result.updated += 1 / result.unchanged += 1
            return result

        def export_rows(self):  # optional: enables `ovation export nps`
            for response in NpsResponse.objects.iterator(chunk_size=2000):
                yield {"email": ..., "score": ..., ...}   # keys = field names

    IMPORTER = NpsImporter()

The contract, in short:

* `fields`: the target fields, in export column order. `Field.parse(text) -> value` gets the
  stripped, non-blank cell text and raises `ValueError("message")` for a bad value; the engine
  turns it into `row N: <field>: message`. Blank cells are left out of `row.values` (an upsert
  then leaves that attribute as it is); a blank cell in a `required` field is an error.
  Ready-made parsers live in `parsers` (text, email, integer, decimal, date, datetime, boolean,
  choice, domain, country...).
* `presets`: preset name -> {source column: field name}. Matching of source columns is
  case-insensitive and ignores surrounding spaces. Every preset falls back to the `generic` one:
  a column named like a field (`email`, `first_name`) or like its label maps to it. Users can
  override any column with `--map SRC=FIELD` (`--map SRC=` ignores a column).
* `clean_row(row)`: optional cross-field checks (e.g. "email or crm_id is required"); report a
  problem with `raise FieldError(field_name, message)`.
* `write_batch(rows, ctx) -> BatchResult`: writes one chunk (`batch_size` rows, default 1000)
  inside a transaction the engine opened. Do it with a constant number of queries per chunk
  (look existing rows up with one `IN` query per key, `bulk_create` new, `bulk_update` changed)
  and count every row exactly once: created, updated, unchanged, or `result.reject(row, field,
  message)`. Re-importing the same file must report everything `unchanged` and write nothing
  (idempotent upserts by a natural key such as CRM id, email or external id). Side effects
  outside the database (emails, webhooks) go through `transaction.on_commit` so that dry runs
  and atomic failures, which roll back, leave no trace.
  `ctx` carries `dry_run`, `atomic`, `actor` (a user or None), `source` ("cli", "ui"), `now`
  (one timestamp for the whole run) and `state` (a dict kept across the batches of one run,
  e.g. to reject a key seen twice in the same file).
* `export_rows()`: optional iterator of {field name: value} for `ovation export KIND`; it must
  stream (`.iterator()`), 100k rows are normal. Values are formatted by `Field.format`.

Running: `run_import(importer, source, preset=, overrides=, mapping=, dry_run=, atomic=,
limit=, progress=, actor=, origin=) -> ImportResult` and `write_export(importer, stream)`.
`load_importer(kind)` resolves a kind through `settings.OVATION_IMPORTERS` and raises
`ImportSetupError` with a clear message when the kind is unknown or its app has not landed.

Semantics shared by every kind
------------------------------
* Files: UTF-8 with or without BOM; CRLF or LF; quoted commas and newlines; `;` or tab
  delimiters are detected from the header. A file that is not UTF-8 is read as Windows-1252 /
  latin-1 (with a warning in the result); an Excel workbook or binary file is refused with a
  message saying to save it as "CSV UTF-8".
* Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2 (a field
  with an embedded newline still counts as one row).
* Default: good rows land and bad rows are listed. `atomic=True`: nothing is written when any
  row is bad. `dry_run=True`: everything is validated and counted (created/updated/unchanged as
  they *would* be) inside a transaction that is rolled back.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

csv.field_size_limit(10 * 1024 * 1024)

GENERIC = "generic"


# --------------------------------------------------------------------------------------------
# Errors and results
# --------------------------------------------------------------------------------------------
class ImportSetupError(Exception):
    """The import cannot start at all (unknown kind, unreadable file, bad --map...)."""


class FieldError(Exception):
    """Raised by `clean_row` (or a parser wanting to name another field) for one field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class RowError:
    """One problem on one row; `str()` gives `row N: field: message`."""

    row: int
    field: str
    message: str
    raw: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


class Row:
    """One data row: spreadsheet row number, parsed values by field name, original cells
    (`raw`, {column: text}, built only when asked for: most rows never need it)."""

    __slots__ = ("number", "values", "_record", "_headers")

    def __init__(self, number: int, values: dict[str, Any], record=(), headers=()):
        self.number = number
        self.values = values
        self._record = record
        self._headers = headers

    @property
    def raw(self) -> dict[str, str]:
        return dict(zip(self._headers, self._record, strict=False))

    def __repr__(self) -> str:
        return f"Row({self.number}, {self.values!r})"


@dataclass
class BatchResult:
    """What `write_batch` did with its rows; each row is counted exactly once."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def reject(self, row: Row, field_name: str, message: str) -> None:
        self.errors.append(RowError(row.number, field_name, message, row.raw))


@dataclass
class ImportContext:
    """Passed to `write_batch`: how the run was asked for, plus state kept across batches."""

    dry_run: bool = False
    atomic: bool = False
    actor: Any = None
    source: str = "cli"
    now: dt.datetime = field(default_factory=timezone.now)
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportResult:
    """Summary of a run. `written` is False for dry runs and failed atomic runs."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    atomic: bool = False
    written: bool = True

    @property
    def rejected(self) -> int:
        return len({e.row for e in self.errors})

    def summary(self) -> str:
        verb = "would be " if self.dry_run else ""
        text = (
            f"{self.rows} rows: {self.created} {verb}created, {self.updated} {verb}updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected"
        )
        if self.dry_run:
            text += " (dry run: nothing written)"
        elif not self.written:
            text += " (atomic: nothing written because rows were rejected)"
        return text


# --------------------------------------------------------------------------------------------
# Fields and parsers
# --------------------------------------------------------------------------------------------
def _format_default(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Field:
    """A target field. `parse(text)` gets a stripped non-blank cell and returns the value or
    raises ValueError(message). `format(value)` renders it for export."""

    name: str
    required: bool = False
    parse: Callable[[str], Any] = lambda text: text
    label: str = ""
    help: str = ""
    format: Callable[[Any], str] = _format_default

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


class parsers:  # noqa: N801 - a namespace of parser factories, used as `parsers.email`
    """Ready-made cell parsers. Each raises ValueError with a message a user understands."""

    @staticmethod
    def text(max_length: int | None = None) -> Callable[[str], str]:
        def parse(value: str) -> str:
            if max_length is not None and len(value) > max_length:
                raise ValueError(f"is {len(value)} characters long (at most {max_length})")
            return value

        return parse

    # A strict subset of what Django's EmailValidator accepts, checked first because the
    # validator costs ~100 µs per call (lazy regexes), which dominates a 100k-row import.
    _EMAIL_FAST = re.compile(
        r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
        r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z",
        re.IGNORECASE,
    )

    @staticmethod
    def email(value: str) -> str:
        if len(value) > 254:
            raise ValueError(f"{value[:40]!r}... is longer than 254 characters")
        if parsers._EMAIL_FAST.match(value):
            return value
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError(f"{value!r} is not a valid email address") from None
        return value

    @staticmethod
    def integer(min_value: int | None = None, max_value: int | None = None) -> Callable[[str], int]:
        def parse(value: str) -> int:
            cleaned = value.replace(",", "").replace(" ", "")
            if cleaned.endswith(".0"):
                cleaned = cleaned[:-2]
            try:
                number = int(cleaned)
            except ValueError:
                raise ValueError(f"{value!r} is not a whole number") from None
            if min_value is not None and number < min_value:
                raise ValueError(f"{number} is below the minimum of {min_value}")
            if max_value is not None and number > max_value:
                raise ValueError(f"{number} is above the maximum of {max_value}")
            return number

        return parse

    @staticmethod
    def decimal(
        min_value: Decimal | int | None = None, places: int = 2, max_digits: int = 14
    ) -> Callable[[str], Decimal]:
        """Amounts as the model stores them (14 digits, 2 after the point by default): a value
        too large for the column is a row error, not a database error."""
        quantum = Decimal(1).scaleb(-places)
        limit = Decimal(10) ** (max_digits - places)

        def parse(value: str) -> Decimal:
            cleaned = re.sub(r"[\s,$€£]", "", value)
            try:
                number = Decimal(cleaned)
            except InvalidOperation:
                raise ValueError(f"{value!r} is not a number") from None
            if not number.is_finite():
                raise ValueError(f"{value!r} is not a number")
            if min_value is not None and number < min_value:
                raise ValueError(f"{value!r} is below the minimum of {min_value}")
            if abs(number) >= limit:
                raise ValueError(f"{value!r} is too large (at most {max_digits - places} digits)")
            return number.quantize(quantum)

        return parse

    _DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y")

    @staticmethod
    def date(value: str) -> dt.date:
        """ISO dates (2024-03-01), 2024/03/01, 01.03.2024; an ISO datetime keeps its date.
        Ambiguous forms such as 03/01/2024 are refused rather than guessed."""
        text = value.strip()
        if len(text) > 10 and text[10] in "T ":
            try:
                return parsers.datetime_(text).date()
            except ValueError:
                pass
        for fmt in parsers._DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a plain date
            except ValueError:
                continue
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD)")

    @staticmethod
    def datetime_(value: str) -> dt.datetime:
        """ISO 8601 (`2024-03-01T09:30:00Z`, `+01:00`, or a plain date); no zone means UTC."""
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        # Salesforce writes "+0000" offsets.
        text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a date and time (use 2024-03-01T09:30:00Z)"
            ) from None
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed

    _TRUE = {"true", "yes", "y", "1", "t", "x", "on"}
    _FALSE = {"false", "no", "n", "0", "f", "off"}

    @staticmethod
    def boolean(value: str) -> bool:
        lowered = value.strip().lower()
        if lowered in parsers._TRUE:
            return True
        if lowered in parsers._FALSE:
            return False
        raise ValueError(f"{value!r} is not yes/no (use true or false)")

    @staticmethod
    def choice(choices: Iterable[tuple[str, str]]) -> Callable[[str], str]:
        """Accepts a choice's value or its label, case-insensitively (TextChoices.choices)."""
        choices = list(choices)
        lookup: dict[str, str] = {}
        for value, label in choices:
            lookup[str(value).lower()] = value
            lookup[str(label).lower()] = value
        allowed = ", ".join(str(v) for v, _ in choices)

        def parse(value: str) -> str:
            try:
                return lookup[value.strip().lower()]
            except KeyError:
                raise ValueError(f"{value!r} is not one of: {allowed}") from None

        return parse

    _DOMAIN = re.compile(r"^(?=.{1,200}$)([a-z0-9-]+\.)+[a-z]{2,}$")

    @staticmethod
    def domain(value: str) -> str:
        """A bare domain; `https://www.acme.com/about` becomes `acme.com`."""
        text = value.strip().lower()
        text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
        text = text.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
        if text.startswith("www."):
            text = text[4:]
        if "@" in text:
            text = text.rsplit("@", 1)[1]
        if not parsers._DOMAIN.match(text):
            raise ValueError(f"{value!r} is not a domain name (e.g. acme.com)")
        return text

    @staticmethod
    def country(value: str) -> str:
        """ISO 3166-1 alpha-2 (`BE`); a few common English names are accepted too."""
        text = value.strip()
        code = _COUNTRY_NAMES.get(text.lower(), text.upper())
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise ValueError(f"{value!r} is not a two-letter country code (e.g. US, BE)")
        return code

    @staticmethod
    def name_list(value: str) -> list[str]:
        """`a; b; c` (or `|`-separated) -> ["a", "b", "c"]."""
        return [part.strip() for part in re.split(r"[;|]", value) if part.strip()]


_COUNTRY_NAMES = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "germany": "DE",
    "france": "FR",
    "belgium": "BE",
    "netherlands": "NL",
    "spain": "ES",
    "italy": "IT",
    "canada": "CA",
    "australia": "AU",
    "japan": "JP",
    "brazil": "BR",
    "india": "IN",
    "ireland": "IE",
    "sweden": "SE",
    "switzerland": "CH",
    "singapore": "SG",
    "mexico": "MX",
}


# --------------------------------------------------------------------------------------------
# Importer
# --------------------------------------------------------------------------------------------
class Importer:
    """Base class for one kind of import. Subclasses set `kind`, `label`, `fields`, `presets`
    and implement `write_batch` (and `export_rows` for exports). See the module docstring."""

    kind: str = ""
    label: str = ""
    description: str = ""
    fields: Sequence[Field] = ()
    presets: Mapping[str, Mapping[str, str]] = {}
    batch_size: int = 1000

    # --- hooks ---------------------------------------------------------------------------
    def clean_row(self, row: Row) -> None:
        """Cross-field checks; raise FieldError(field, message). Default: nothing."""

    def write_batch(self, rows: list[Row], ctx: ImportContext) -> BatchResult:
        raise NotImplementedError

    def export_rows(self) -> Iterator[Mapping[str, Any]]:
        raise ImportSetupError(f"exporting {self.kind} is not supported")

    # --- helpers used by the engine and the UI --------------------------------------------
    @property
    def field_map(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @property
    def preset_names(self) -> list[str]:
        names = [name for name in self.presets if name != GENERIC]
        return [*names, GENERIC]

    def suggest_mapping(self, headers: Sequence[str], preset: str = GENERIC) -> dict[str, str]:
        """{source column: field name or ""} for a header, from the preset then generic names."""
        if preset not in self.presets and preset != GENERIC:
            raise ImportSetupError(
                f"unknown preset {preset!r} for {self.kind}; choose from: "
                + ", ".join(self.preset_names)
            )
        chosen = {_norm(k): v for k, v in self.presets.get(preset, {}).items()}
        generic = {_norm(k): v for k, v in self.presets.get(GENERIC, {}).items()}
        for f in self.fields:
            generic.setdefault(_norm(f.name), f.name)
            generic.setdefault(_norm(f.title), f.name)
        mapping: dict[str, str] = {}
        used: set[str] = set()
        for header in headers:
            key = _norm(header)
            target = chosen.get(key) or generic.get(key) or ""
            if target and target in used:
                target = ""  # two columns cannot feed one field; the first one wins
            if target:
                used.add(target)
            mapping[header] = target
        return mapping


def _norm(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


def load_importer(kind: str) -> Importer:
    """The IMPORTER for `kind` from settings.OVATION_IMPORTERS, or a clear ImportSetupError."""
    paths = getattr(settings, "OVATION_IMPORTERS", {})
    if kind not in paths:
        raise ImportSetupError(f"unknown kind {kind!r}; choose from: {', '.join(paths)}")
    try:
        return import_string(paths[kind])
    except ImportError as exc:
        raise ImportSetupError(
            f"importing {kind} is not available yet: {paths[kind]} could not be loaded ({exc})"
        ) from exc


def available_importers() -> dict[str, Importer]:
    """Kinds whose importer loads, in settings order (for the UI's kind select)."""
    found = {}
    for kind in getattr(settings, "OVATION_IMPORTERS", {}):
        try:
            found[kind] = load_importer(kind)
        except ImportSetupError:
            continue
    return found


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------
def decode_bytes(data: bytes) -> tuple[str, str | None]:
    """(text, warning). UTF-8 (BOM or not); otherwise Windows-1252/latin-1 with a warning.
    Text holding a NUL character is refused whatever its encoding: no database stores it."""
    text, warning = _decode(data)
    if "\x00" in text:
        raise ImportSetupError("this is not a text CSV file (it contains NUL characters)")
    return text, warning


def _decode(data: bytes) -> tuple[str, str | None]:
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportSetupError(
            "this looks like an Excel workbook, not a CSV file: in Excel use "
            "File > Save As > 'CSV UTF-8 (Comma delimited)' and upload that"
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), None
    if b"\x00" in data[:4096]:
        raise ImportSetupError("this is not a text CSV file (it contains binary data)")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        bad = exc.start
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        line = data.count(b"\n", 0, bad) + 1
        return text, (
            f"the file is not UTF-8 (first bad byte on line {line}); it was read as "
            f"{'Windows-1252' if encoding == 'cp1252' else 'latin-1'}. Check accented names, "
            "or save it as 'CSV UTF-8' and import again"
        )
    raise ImportSetupError("the file could not be read as text; save it as 'CSV UTF-8'")


def _read_source(source: str | bytes | IO) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str):
        try:
            with open(source, "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise ImportSetupError(f"cannot read {source}: {exc.strerror}") from exc
    data = source.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    first_line = text.split("\n", 1)[0]
    if "," not in first_line:
        for delimiter in (";", "\t"):
            if delimiter in first_line:

                class Delimited(csv.excel):
                    pass

                Delimited.delimiter = delimiter
                return Delimited
    return csv.excel


@dataclass
class CsvFile:
    """A decoded CSV: header, a record iterator (row numbers from 2) and a line count."""

    headers: list[str]
    records: Iterator[tuple[int, list[str]]]
    total_lines: int
    warning: str | None = None


def open_csv(source: str | bytes | IO) -> CsvFile:
    text, warning = decode_bytes(_read_source(source))
    if not text.strip():
        raise ImportSetupError("the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        headers = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise ImportSetupError(f"row 1: the header cannot be read as CSV: {exc}") from exc
    if not any(headers):
        raise ImportSetupError("row 1: the header row is empty")
    duplicates = sorted({h for h in headers if h and headers.count(h) > 1})
    if duplicates:
        raise ImportSetupError(f"row 1: column {duplicates[0]!r} appears twice in the header")

    def records() -> Iterator[tuple[int, list[str]]]:
        number = 1
        while True:
            number += 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportSetupError(f"row {number}: not valid CSV: {exc}") from exc
            if not record or (not record[0].strip() and not any(cell.strip() for cell in record)):
                continue  # blank lines are skipped but still counted, as a spreadsheet shows
            yield number, record

    return CsvFile(headers, records(), max(text.count("\n"), 1), warning)


def read_header(source: str | bytes | IO, limit: int = 3) -> tuple[list[str], list[list[str]]]:
    """The header and the first `limit` data rows (for the UI's mapping page)."""
    csv_file = open_csv(source)
    samples = []
    for _, record in csv_file.records:
        samples.append(record)
        if len(samples) >= limit:
            break
    return csv_file.headers, samples


# --------------------------------------------------------------------------------------------
# Running an import
# --------------------------------------------------------------------------------------------
def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """`["Mail=email", "Notes="]` -> {"Mail": "email", "Notes": ""}."""
    overrides = {}
    for pair in pairs:
        if "=" not in pair:
            raise ImportSetupError(f"--map {pair!r}: use SOURCE_COLUMN=field (or SOURCE_COLUMN=)")
        source, target = pair.rsplit("=", 1)
        overrides[source.strip()] = target.strip()
    return overrides


def resolve_mapping(
    importer: Importer,
    headers: Sequence[str],
    *,
    preset: str = GENERIC,
    overrides: Mapping[str, str] | None = None,
    mapping: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The final {source column: field} mapping, checked: known fields, no field twice,
    every required field mapped."""
    fields = importer.field_map
    resolved = dict(mapping) if mapping is not None else importer.suggest_mapping(headers, preset)
    header_by_norm = {_norm(h): h for h in headers}
    for source, target in (overrides or {}).items():
        header = source if source in resolved else header_by_norm.get(_norm(source))
        if header is None:
            raise ImportSetupError(
                f"--map {source}={target}: the file has no column {source!r} "
                f"(columns: {', '.join(headers)})"
            )
        if target in ("-", "ignore"):
            target = ""
        resolved[header] = target
    seen: dict[str, str] = {}
    for source, target in resolved.items():
        if not target:
            continue
        if target not in fields:
            raise ImportSetupError(
                f"column {source!r} maps to unknown field {target!r}; {importer.kind} fields: "
                + ", ".join(fields)
            )
        if target in seen:
            raise ImportSetupError(
                f"columns {seen[target]!r} and {source!r} both map to {target}; "
                f"ignore one with --map {source}="
            )
        seen[target] = source
    missing = [f.name for f in importer.fields if f.required and f.name not in seen]
    if missing:
        raise ImportSetupError(
            f"no column maps to the required field {missing[0]}; add --map COLUMN={missing[0]}"
            f" (columns: {', '.join(headers)})"
        )
    return {h: resolved.get(h, "") for h in headers}


def parse_record(
    importer: Importer, number: int, record: list[str], plan: Sequence[tuple], headers
) -> tuple[Row, list[RowError]]:
    """Turn one CSV record into a Row plus its per-field errors. `plan` is a list of
    (column index, field name, parse, required). This is the hot loop: keep it lean."""
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    width = len(record)
    for index, name, parse, required in plan:
        cell = record[index].strip() if index < width else ""
        if not cell:
            if required:
                errors.append(RowError(number, name, "is required"))
            continue
        try:
            values[name] = parse(cell)
        except ValueError as exc:
            errors.append(RowError(number, name, str(exc)))
    row = Row(number, values, record, headers)
    if not errors:
        try:
            importer.clean_row(row)
        except FieldError as exc:
            errors.append(RowError(number, exc.field, exc.message))
    if errors:
        raw = row.raw
        for error in errors:
            error.raw = raw
    return row, errors


def make_plan(importer: Importer, headers: Sequence[str], mapping: Mapping[str, str]):
    """The parse plan for `parse_record` from a resolved mapping."""
    fields = importer.field_map
    return [
        (i, fields[mapping[h]].name, fields[mapping[h]].parse, fields[mapping[h]].required)
        for i, h in enumerate(headers)
        if mapping.get(h)
    ]


class _Rollback(Exception):
    """Internal: unwinds the outer transaction of a dry run or a failed atomic run."""


def run_import(
    importer: Importer,
    source: str | bytes | IO,
    *,
    preset: str = GENERIC,
    overrides: Mapping[str, str] | None = None,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
    atomic: bool = False,
    limit: int | None = None,
    progress: Callable[[int, int, ImportResult], None] | None = None,
    actor: Any = None,
    origin: str = "cli",
) -> ImportResult:
    """Import `source` (path, bytes or file object) with `importer`. See the module docstring.

    `limit` stops after that many data rows (the UI preview uses it with dry_run=True).
    `progress(lines_done, total_lines, result_so_far)` is called after each batch."""
    csv_file = open_csv(source)
    final_mapping = resolve_mapping(
        importer, csv_file.headers, preset=preset, overrides=overrides, mapping=mapping
    )
    plan = make_plan(importer, csv_file.headers, final_mapping)
    result = ImportResult(
        kind=importer.kind,
        headers=csv_file.headers,
        mapping=final_mapping,
        dry_run=dry_run,
        atomic=atomic,
    )
    if csv_file.warning:
        result.warnings.append(csv_file.warning)
    ctx = ImportContext(dry_run=dry_run, atomic=atomic, actor=actor, source=origin)
    single_transaction = dry_run or atomic

    def flush(batch: list[Row], last_row: int) -> None:
        if batch:
            outcome = _write(importer, batch, ctx, savepoint=single_transaction)
            result.created += outcome.created
            result.updated += outcome.updated
            result.unchanged += outcome.unchanged
            result.errors.extend(outcome.errors)
        if progress:
            progress(min(last_row, csv_file.total_lines), csv_file.total_lines, result)

    def run() -> None:
        batch: list[Row] = []
        number = 1
        for number, record in csv_file.records:
            result.rows += 1
            row, errors = parse_record(importer, number, record, plan, csv_file.headers)
            if errors:
                result.errors.extend(errors)
            else:
                batch.append(row)
            if len(batch) >= importer.batch_size:
                flush(batch, number)
                batch = []
            if limit is not None and result.rows >= limit:
                break
        flush(batch, number)

    if single_transaction:
        try:
            with transaction.atomic():
                run()
                if dry_run or result.errors:
                    raise _Rollback
        except _Rollback:
            result.written = False
    else:
        run()
    result.errors.sort(key=lambda e: e.row)
    return result


def _write(importer: Importer, batch: list[Row], ctx: ImportContext, *, savepoint: bool):
    """One batch in one transaction (a savepoint inside an outer one). If the database refuses
    the batch (a unique key raced in by another writer), retry it row by row so the offending
    rows are named and the others still land."""
    try:
        with transaction.atomic():
            return importer.write_batch(batch, ctx)
    except IntegrityError:
        if len(batch) == 1:
            outcome = BatchResult()
            outcome.reject(batch[0], "row", "the database refused this row (a duplicate key?)")
            return outcome
    outcome = BatchResult()
    for row in batch:
        single = _write(importer, [row], ctx, savepoint=savepoint)
        outcome.created += single.created
        outcome.updated += single.updated
        outcome.unchanged += single.unchanged
        outcome.errors.extend(single.errors)
    return outcome


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------
def export_lines(importer: Importer) -> Iterator[str]:
    """CSV text, one line at a time (header first), from `importer.export_rows()`: streams."""
    rows = importer.export_rows()  # raises ImportSetupError before the header if unsupported
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    fields = list(importer.fields)
    writer.writerow([f.name for f in fields])
    yield buffer.getvalue()
    for item in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([f.format(item.get(f.name)) for f in fields])
        yield buffer.getvalue()


def write_export(importer: Importer, stream: IO[str]) -> int:
    """Write the export CSV to a text stream; returns the number of data rows."""
    count = -1
    for line in export_lines(importer):
        stream.write(line)
        count += 1
    return count


def error_csv_lines(errors: Iterable[RowError], headers: Sequence[str]) -> Iterator[str]:
    """`row,field,message` plus the original columns, one line per problem."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "field", "message", *headers])
    yield buffer.getvalue()
    for error in errors:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [error.row, error.field, error.message, *(error.raw.get(h, "") for h in headers)]
        )
        yield buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Fast writes for write_batch implementations
# --------------------------------------------------------------------------------------------
def insert_rows(model, columns: Sequence[str], values: list[tuple]) -> None:
    """INSERT many rows with one `executemany` (no per-object ORM work, no returned ids).

    `columns` are database column names (`account_id`, not `account`); values must already be
    in database form (use `db_datetime()` for datetimes). bulk_create costs about 10x more on
    SQLite, which matters at 100k rows; use bulk_create when you need the new ids."""
    from django.db import connection

    if not values:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", values)  # noqa: S608


def update_rows(model, columns: Sequence[str], values: list[tuple]) -> None:
    """UPDATE rows by primary key with one `executemany`: each tuple is (*new values, pk)."""
    from django.db import connection

    if not values:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", values)  # noqa: S608


def select_in(
    model, columns: Sequence[str], column: str, keys: Iterable[Any], *, lower: bool = False
) -> list[tuple]:
    """`SELECT columns FROM table WHERE column IN keys` (or `LOWER(column)`), in one query.

    For write_batch look-ups of a whole chunk: the ORM spends ~20 µs per IN parameter
    preparing it, which a 2,000-key look-up per chunk does not need. Values come back as the
    driver gives them (SQLite: booleans as 0/1, datetimes as text)."""
    from django.db import connection

    keys = list(keys)
    if not keys:
        return []
    qn = connection.ops.quote_name
    target = f"LOWER({qn(column)})" if lower else qn(column)
    sql = (
        f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(model._meta.db_table)} "  # noqa: S608
        f"WHERE {target} IN ({', '.join(['%s'] * len(keys))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, keys)
        return cursor.fetchall()


def db_datetime(value: dt.datetime):
    """An aware datetime in the form the current database stores it."""
    from django.db import connection

    return connection.ops.adapt_datetimefield_value(value)
