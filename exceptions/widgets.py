"""A select written in Python, for the queue's filter form.

Django renders a select through templates, one template include per option: the queue's
filter form (about 45 options) cost 5-10 ms of every queue page (issue 17). This widget
writes the same markup as Django's templates (``django/forms/widgets/select.html``,
``select_option.html`` and ``attrs.html``), checked by ``tests/exceptions/test_queue_render.py``.
"""

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def _attrs(attrs: dict) -> SafeString:
    """`` name="value"`` for each attribute, `` name`` for True, nothing for False."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def _option(option: dict) -> SafeString:
    """An option as Django's include writes it: its template file ends with a newline."""
    return format_html(
        '\n  <option value="{}"{}>{}</option>\n',
        option["value"],
        _attrs(option["attrs"]),
        option["label"],
    )


def _group(name, options) -> SafeString:
    inner = format_html_join("", "{}", ((_option(option),) for option in options))
    if not name:
        return inner
    return format_html('\n  <optgroup label="{}">{}\n  </optgroup>', name, inner)


class QuickSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        groups = format_html_join(
            "", "{}", ((_group(group, options),) for group, options, _ in widget["optgroups"])
        )
        return format_html(
            '<select name="{}"{}>{}\n</select>', widget["name"], _attrs(widget["attrs"]), groups
        )
