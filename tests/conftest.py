"""Shared fixtures: the real app (``python app.py``) served once per test module."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.netutil import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    """Start ``python app.py`` on a free port with a temporary recent-compares folder and
    SQLite database; yield ``(url, recent_dir)``; stop it afterwards."""
    tmp = tmp_path_factory.mktemp("app")
    recent = tmp / "recent"
    port = free_port()
    env = {
        **os.environ,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "INPAINT_LAB_RECENT_DIR": str(recent),
        "INPAINT_LAB_DATABASE_URL": f"sqlite:///{tmp / 'votes.db'}",
    }
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90  # generous: the 2-core test machine is shared
    try:
        while True:
            if proc.poll() is not None:
                log.flush()
                pytest.fail(f"app.py exited with {proc.returncode}:\n{(tmp / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not serve {url}:\n{(tmp / 'server.log').read_text()[-3000:]}")
            time.sleep(0.3)
        yield url, recent
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
