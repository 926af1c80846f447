"""The triage page renders in the app, and names every task and command that exists."""

import importlib

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_exception_desk_page_renders(client_for):
    response = client_for("fulfilment").get(reverse("docs:page", args=["exception-desk"]))
    assert response.status_code == 200
    assert response.context["title"] == "The exception desk"


@pytest.mark.parametrize("task", ["wake_snoozed", "notify_sla_breaches", "send_daily_digests"])
def test_documented_tasks_exist(task):
    assert callable(getattr(importlib.import_module("exceptions.tasks"), task))
