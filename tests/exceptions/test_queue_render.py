"""The queue's rows (``{% queue_row %}``) and filter selects (``QuickSelect``) are built in
Python for speed: the markup must be what the templates produced, escaping and dates
included."""

from datetime import timedelta

import pytest
import time_machine
from django import forms
from django.http import QueryDict
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from exceptions.filters import TicketFilter
from exceptions.models import Ticket
from exceptions.selectors import queue_queryset
from exceptions.services import ticket_assign, ticket_raise, ticket_resolve
from exceptions.widgets import QuickSelect

pytestmark = pytest.mark.django_db

# The row as the queue's template wrote it before it moved to Python.
TEMPLATE_ROW = """{% with t=row.record %}
<tr id="ticket-{{ t.pk }}">
  <td><input type="checkbox" name="tickets" value="{{ t.pk }}" form="bulk-form" aria-label="Select #{{ t.pk }}"></td>
  <td><a href="{% url 'exceptions:ticket' t.pk %}">{{ t.pk }}</a></td>
  <td><a href="{% url 'exceptions:ticket' t.pk %}">{{ t.title }}</a>{% if t.regressions %} <span class="badge regression">regression #{{ t.regressions }}</span>{% endif %}{% if t.summary %}<div class="muted">{{ t.summary }}</div>{% endif %}</td>
  <td><span class="badge {{ t.severity }}">{{ t.get_severity_display }}</span></td>
  <td>{{ t.get_team_display }}</td>
  <td><span class="badge {{ t.status }}">{{ t.get_status_display }}</span>{% if t.is_sla_breached %} <span class="badge breached">past SLA</span>{% endif %}</td>
  <td>{{ t.assignee.get_username|default:"—" }}</td>
  <td>{{ t.occurrences }}</td>
  <td><span title="{{ t.first_seen|date:'c' }}">{{ t.first_seen|timesince }}</span></td>
  <td>{{ t.last_seen }}</td>
</tr>{% endwith %}"""  # noqa: E501


@pytest.fixture
def varied_tickets(personas):
    """Tickets that exercise every optional part of a row: a summary to escape, an
    assignee, a breached SLA, a regression, a closed one, none of them."""
    with time_machine.travel(timezone.now() - timedelta(days=3, hours=5)):
        late = ticket_raise(
            type_code="orphaned_order",
            source="orders",
            order_number="1001",
            summary='Order <b>1001</b> & "friends"',
        )
    ticket_assign(ticket=late, actor=personas["operations"], assignee=personas["operations"])
    regressed = ticket_raise(type_code="stock_drift", source="stock", sku="A-1")
    ticket_resolve(ticket=regressed, actor=personas["operations"], note="fixed")
    ticket_raise(type_code="stock_drift", source="stock", sku="A-1")  # back: a regression
    closed = ticket_raise(type_code="push_held", source="stock", stream="stock")
    ticket_resolve(ticket=closed, actor=personas["operations"], note="done")
    return list(queue_queryset())


def test_a_python_row_is_the_row_template_s_markup(varied_tickets):
    from exceptions.templatetags.exception_queue import queue_row

    assert {t.regressions > 0 for t in varied_tickets} == {True, False}
    assert {t.is_sla_breached for t in varied_tickets} == {True, False}
    assert {t.assignee_id is None for t in varied_tickets} == {True, False}
    template = Template(TEMPLATE_ROW)
    for ticket in varied_tickets:
        expected = template.render(Context({"row": {"record": ticket}}))
        assert queue_row(ticket) == expected


def test_the_queue_page_shows_the_rows(client_for, varied_tickets):
    html = client_for("operations").get(reverse("exceptions:index"), {"team": "", "status": "any"})
    page = html.content.decode()
    for ticket in varied_tickets:
        assert f'<tr id="ticket-{ticket.pk}">' in page
    assert "Order &lt;b&gt;1001&lt;/b&gt; &amp; &quot;friends&quot;" in page
    assert Ticket.objects.filter(regressions__gt=0).exists()
    assert "regression #1</span>" in page


@pytest.mark.parametrize("value", ["", "a", "x", 3, None])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_kind", "required": True, "disabled": False, "data-x": 'q"<'}]
)
def test_the_quick_select_is_django_s_select(value, attrs):
    choices = [("", "All"), ("a", "A & <b>"), ("Group", [("x", "X"), ("y", "Y")]), (3, "three")]
    expected = forms.Select(choices=choices).render("kind", value, attrs)
    assert QuickSelect(choices=choices).render("kind", value, attrs) == expected


def test_the_queue_s_filter_form_is_drawn_as_django_draws_it():
    form = TicketFilter(QueryDict("team=operations&type=stock_drift&sla=breached")).form
    selects = [field for field in form if isinstance(field.field.widget, QuickSelect)]
    assert [field.name for field in selects] == ["team", "type", "status", "severity", "age", "sla"]
    for field in selects:
        django_select = forms.Select(choices=field.field.choices)
        assert str(field) == field.as_widget(widget=django_select)
