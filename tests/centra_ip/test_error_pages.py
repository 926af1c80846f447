"""403 and 404 are pages of the app (its layout, its icon), not Django's bare text: with
DEBUG off a browser would otherwise ask for /favicon.ico and log a console error."""

import pytest


@pytest.mark.django_db
def test_a_page_the_team_may_not_open_is_a_403_page_of_the_app(client_for):
    response = client_for("operations").get("/reconciliation/")

    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in page
    assert 'href="/docs/operations/"' in page
    assert 'rel="icon"' in page


@pytest.mark.django_db
def test_an_unknown_address_is_a_404_page_of_the_app(client_for):
    response = client_for("finance").get("/no/such/page/")

    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.content.decode()
    assert 'rel="icon"' in response.content.decode()
