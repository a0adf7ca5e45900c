"""Staff navigation: modules grouped in menus, each entry only for roles that may open it."""

import pytest
from django.test import RequestFactory

from ovation.core.context_processors import navigation
from ovation.users.models import User

pytestmark = pytest.mark.django_db


def _nav(user, path="/"):
    request = RequestFactory().get(path)
    request.user = user
    return navigation(request)["nav_items"]


def _shape(items):
    return [
        (item["label"], [c["label"] for c in item["children"]]) if "children" in item
        else item["label"]
        for item in items
    ]  # fmt: skip


def test_manager_sees_every_module_grouped_in_menus():
    manager = User.objects.create_user("m@acme.test", role=User.Role.MANAGER)
    assert _shape(_nav(manager)) == [
        "Home",
        ("Customers", ["Accounts", "Contacts", "Pulse (NPS)", "Import"]),
        ("Advocates", ["Hub admin", "Programs & events", "Rewards", "Points", "Motivation"]),
        ("Sales", ["References", "Stories", "Referrals"]),
        "Insights",
        ("Admin", ["Automations", "Settings"]),
    ]


def test_sales_see_only_what_they_may_open_and_a_one_entry_menu_is_a_link():
    sales = User.objects.create_user("s@acme.test", role=User.Role.SALES)
    assert _shape(_nav(sales)) == [
        "Home",
        ("Customers", ["Accounts", "Contacts", "Pulse (NPS)"]),
        ("Sales", ["References", "Stories"]),
        "Insights",
        "Settings",
    ]


def test_the_menu_holding_the_current_page_is_marked_active():
    manager = User.objects.create_user("m@acme.test", role=User.Role.MANAGER)
    items = {item["label"]: item for item in _nav(manager, "/contacts/42/")}
    assert items["Customers"]["active"] is True
    assert [c["label"] for c in items["Customers"]["children"] if c["active"]] == ["Contacts"]
    assert items["Advocates"]["active"] is False and items["Home"]["active"] is False


def test_advocates_and_visitors_get_no_staff_navigation():
    advocate = User.objects.create_user("a@acme.test", role=User.Role.ADVOCATE)
    assert _nav(advocate) == []
