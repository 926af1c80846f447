def test_docs_index_lists_the_pages_of_the_docs_folder(client_for, settings, tmp_path):
    (tmp_path / "triage.md").write_text("# How to triage\n\nRead [the desk](desk.md).\n")
    (tmp_path / "desk.md").write_text("# The desk\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    settings.DOCS_DIR = tmp_path
    client = client_for("finance")
    index = client.get("/docs/").content.decode()
    assert '<a href="/docs/desk/">The desk</a>' in index
    assert '<a href="/docs/triage/">How to triage</a>' in index
    page = client.get("/docs/triage/").content.decode()
    assert '<h1 id="how-to-triage">How to triage</h1>' in page
    assert 'href="../desk/"' in page
    assert "<td>1</td>" in client.get("/docs/desk/").content.decode()


def test_an_unknown_docs_page_is_404(client_for):
    assert client_for("finance").get("/docs/no-such-page/").status_code == 404
