"""``collectstatic`` under production settings, and a page served from its manifest.

With DEBUG off the static storage is WhiteNoise's manifest storage: collectstatic must
resolve every reference in every file (a missing source map fails it), and without the
manifest every page answers 500. Fresh interpreters, since settings are read once.
"""

import json
import re
import tempfile
from pathlib import Path

from tests.centra_ip.test_settings import PRODUCTION, run_python


def test_collectstatic_succeeds_with_production_settings_and_pages_use_the_manifest():
    static_root = Path(tempfile.mkdtemp(prefix="centra-ip-static-"))
    env = {**PRODUCTION, "STATIC_ROOT": str(static_root), "ALLOWED_HOSTS": "testserver"}

    collected = run_python(
        "import django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('collectstatic', interactive=False, verbosity=0)",
        **env,
    )

    assert collected.returncode == 0, collected.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    chart = static_root / manifest["vendor/chart-4.6.1.umd.min.js"]
    source_map = re.search(r"sourceMappingURL=(\S+)", chart.read_text()).group(1)
    assert source_map == Path(manifest["vendor/chart.umd.min.js.map"]).name
    assert (chart.parent / source_map).is_file()
    assert (static_root / (manifest["css/app.css"] + ".gz")).is_file()  # compressed too

    login = run_python(
        "import django; django.setup();"
        "from django.test import Client;"
        "response = Client().get('/login/', secure=True);"
        "print(response.status_code); print(response.content.decode())",
        **env,
    )

    assert login.returncode == 0, login.stderr
    status, page = login.stdout.split("\n", 1)
    assert status == "200"
    assert f'href="/static/{manifest["css/app.css"]}"' in page
