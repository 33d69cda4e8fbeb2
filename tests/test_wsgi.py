"""The WSGI entry point settles its process before serving (ntm_portal.wsgi.settle_process).
Run in a fresh interpreter: freezing the test process's own objects would change nothing the
tests can see, and the import must happen before any request."""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

PROBE = """
import gc, json, sys
import ntm_portal.wsgi
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "views_loaded": "reports.views" in sys.modules and "criteria.views" in sys.modules,
}))
"""


def test_importing_the_wsgi_application_loads_the_views_and_freezes_start_up_objects():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ntm_portal.settings"}
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", PROBE], cwd=BASE_DIR, env=env, capture_output=True, check=True
    )
    probe = json.loads(out.stdout.decode().strip().splitlines()[-1])
    assert probe["views_loaded"]
    # Django and the portal alone leave tens of thousands of objects; all of them are frozen.
    assert probe["frozen"] > 20_000
