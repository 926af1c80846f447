"""Centra's error texts are redacted like IP's: a token Centra echoes back reaches no
ticket, run summary, call record, log line or e-mail."""

import json
import logging

import httpx
import pytest
from django.core import mail

from exceptions.models import Ticket
from syncs.clients import transports_install
from syncs.models import ExternalCall, SyncRun
from syncs.runner import sync_run_stream

pytestmark = pytest.mark.django_db


def test_a_token_in_centras_error_text_reaches_no_ticket_log_or_mail(sandbox, caplog, settings):
    token = sandbox.centra.token
    assert len(token) >= 4

    def echoing(request):
        if b"query productSizes" not in request.content:
            return sandbox.centra.handle(request)
        body = {
            "errors": [
                {
                    "message": f"Token {token} may not read products",
                    "extensions": {"category": "authorization"},
                }
            ],
            "data": None,
        }
        return httpx.Response(200, content=json.dumps(body))

    caplog.set_level(logging.DEBUG)
    with transports_install(centra=httpx.MockTransport(echoing)):
        run = sync_run_stream(stream="catalog")

    assert run.status == SyncRun.Status.FAILED
    ticket = Ticket.objects.get(type="api_auth_failure")
    assert ticket.summary.endswith("Token *** may not read products")
    stored = [
        run.summary,
        run.error,
        ticket.summary,
        json.dumps(ticket.context),
        *ExternalCall.objects.values_list("error", flat=True),
        caplog.text,
        *(message.body for message in mail.outbox),
        *(message.subject for message in mail.outbox),
    ]
    assert not [text for text in stored if token in text]
