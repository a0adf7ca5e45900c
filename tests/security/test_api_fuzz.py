"""schemathesis against /api/v1/openapi.json, in process through the WSGI app, with an admin's
write-scoped token: for every operation, bounded generated examples (valid and invalid
inputs) must never get a 5xx, and every response must match the schema (status code declared,
content type, body shape).

Bounded: `OVATION_API_FUZZ_EXAMPLES` examples per operation (default 10; CI keeps the default,
about 60 operations x 10 examples runs in a few minutes)."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("OVATION_API_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(db):
    from config.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def write_token(db):
    from ovation.users.models import User
    from ovation.users.services import api_token_create

    admin = User.objects.create_user("fuzz-admin@acme.test", role="admin")
    _, raw = api_token_create(user=admin, scope="write")
    return raw


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_operations_never_5xx_and_match_their_schema(case, write_token):
    response = case.call(headers={"Authorization": f"Bearer {write_token}"})
    case.validate_response(response, checks=CHECKS)
