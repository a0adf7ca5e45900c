"""Twenty real threads upsert the same email through the API at once: one contact results."""

import threading

import pytest
from django.db import connection
from django.test import Client

from ovation.directory.models import Contact
from ovation.users.models import ApiToken, User
from ovation.users.services import api_token_create

from .factories import UserFactory

THREADS = 20


@pytest.mark.django_db(transaction=True)
def test_concurrent_api_upserts_of_one_email_make_one_contact():
    user = UserFactory(role=User.Role.MANAGER)
    _, raw = api_token_create(user=user, scope=ApiToken.Scope.WRITE)
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def call(i: int):
        try:
            client = Client()
            barrier.wait(timeout=30)
            response = client.post(
                "/api/v1/contacts",
                {
                    "email": "Same.Person@Example.test" if i % 2 else "same.person@example.TEST",
                    "title": f"Title {i}",
                },
                content_type="application/json",
                headers={"Authorization": f"Bearer {raw}"},
            )
            statuses.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(statuses) == [200] * (THREADS - 1) + [201]
    assert Contact.objects.filter(email__iexact="same.person@example.test").count() == 1
