"""Request-wide limits (centra_ip/middleware.py): body size, upload size, URL parameters,
the Content-Security-Policy header and no caching of signed-in answers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syncs.models import StockStatusBalance

pytestmark = pytest.mark.django_db


def test_a_body_past_the_cap_is_refused_before_anything_reads_it(client, settings):
    settings.REQUEST_BODY_MAX_BYTES = 1_000_000
    upload = SimpleUploadedFile("big.csv", b"x" * 1_500_000)
    response = client.post(reverse("login"), {"file": upload})  # anonymous, no CSRF token
    assert response.status_code == 413
    assert response.content.decode() == "The request is too large: at most 1.0 MB is accepted."


def test_an_upload_past_its_cap_is_a_clear_form_error(client_for, settings):
    settings.UPLOAD_MAX_BYTES = 1_000_000
    content = b"sku,ip_warehouse,status,quantity\n" + b"A,main,damaged,1\n" * 70_000
    response = client_for("admin").post(
        reverse("syncs:config_status_import"), {"file": SimpleUploadedFile("s.csv", content)}
    )
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Nothing was changed: The file is 1.2 MB; at most 1.0 MB is accepted."]
    assert not StockStatusBalance.objects.exists()


@pytest.mark.parametrize("mapping_size", [2_500_000])
def test_the_mapping_upload_uses_the_same_cap(client_for, settings, mapping_size):
    settings.UPLOAD_MAX_BYTES = 2_000_000
    content = b"centra_sku,ip_sku\n" + b"A,B\n" * (mapping_size // 4)
    response = client_for("merchandising").post(
        reverse("syncs:catalog_import"), {"file": SimpleUploadedFile("m.csv", content)}
    )
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "at most 2.0 MB is accepted" in messages[0]


def test_an_over_long_url_parameter_or_a_nul_is_a_400(client_for):
    client = client_for("operations")
    long = client.get(reverse("exceptions:index"), {"q": "x" * 1001})
    assert long.status_code == 400 and "at most 1,000 characters" in long.content.decode()
    nul = client.get(reverse("syncs:catalog"), {"q": "a\x00b"})
    assert nul.status_code == 400 and "NUL" in nul.content.decode()
    assert client.get(reverse("syncs:catalog"), {"q": "x" * 1000}).status_code == 200


def test_a_wrong_method_says_which_one_to_use(client_for):
    response = client_for("operations").get(reverse("exceptions:bulk"))
    assert response.status_code == 405
    assert response.content.decode() == "This address does not accept GET; use POST."


@pytest.mark.parametrize("name", ["login", "healthz", "home"])
def test_every_answer_carries_the_content_security_policy(client_for, name):
    response = client_for("operations").get(reverse(name))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def test_no_template_has_an_inline_script_or_style():
    """The CSP refuses them; this finds them before a browser does."""
    import re
    from pathlib import Path

    from django.conf import settings

    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/json)|<style|\sstyle=|\son[a-z]+="
    )
    offenders = [
        f"{path}:{number}"
        for path in Path(settings.BASE_DIR / "templates").rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if inline.search(line)
    ]
    assert offenders == []
