"""Actors for the security tests: one user per role, an advocate with a contact, and an admin's
read- and write-scoped API tokens."""

from dataclasses import dataclass

import pytest
from django.test import Client

from ovation.directory.models import Account, Contact
from ovation.users.models import User
from ovation.users.services import api_token_create

STAFF_ROLES = ["sales", "csm", "manager", "admin", "executive"]


@dataclass
class Actors:
    users: dict[str, User]
    advocate_contact: Contact
    tokens: dict[str, str]

    def client(self, role: str) -> Client:
        if role == "anonymous":
            return Client()
        if role in ("read-token", "write-token"):
            return Client(HTTP_AUTHORIZATION=f"Bearer {self.tokens[role]}")
        client = Client()
        client.force_login(self.users[role])
        return client


def make_advocate(email: str, *, account: Account | None = None) -> Contact:
    from ovation.hub.models import HubProfile

    account = account or Account.objects.create(name=f"{email.split('@')[1]} Ltd")
    user = User.objects.create_user(email, role=User.Role.ADVOCATE, full_name=email)
    contact = Contact.objects.create(
        account=account, email=email, first_name=email.split("@")[0], last_name="Advocate"
    )
    contact.user = user
    contact.save(update_fields=["user"])
    HubProfile.objects.get_or_create(contact=contact)
    return contact


@pytest.fixture
def actors(db) -> Actors:
    users = {
        role: User.objects.create_user(f"{role}@acme.test", role=role, full_name=role.title())
        for role in STAFF_ROLES
    }
    contact = make_advocate("ada@customer.test")
    users["advocate"] = contact.user
    _, read = api_token_create(user=users["admin"], scope="read")
    _, write = api_token_create(user=users["admin"], scope="write")
    return Actors(users, contact, {"read-token": read, "write-token": write})
