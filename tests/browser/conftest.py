"""Playwright drives Debian's chromium directly: `playwright install` is never run."""

import os

import pytest
from pytest_django.live_server_helper import LiveServer

# live_server runs the app in a thread while Playwright's sync API runs an event loop in this
# one; Django would otherwise refuse database access from "async" context.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, but with static files served as in production: by
    WhiteNoise from STATIC_ROOT. Its default handler looks files up through the finders,
    which do not know the hashed names {% static %} emits with DEBUG off, so every page came
    without its stylesheet."""
    addr = request.config.getvalue("liveserver") or os.getenv(
        "DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.static_handler = lambda app: app
    server.start()
    yield server
    server.stop()
