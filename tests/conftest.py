"""Shared fixtures: the real app (``python app.py``) served once per test module, and the check that
skips a method that cannot run here (failing instead in CI when it is a shipped model)."""

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


def shipped_models() -> set[str]:
    """The models whose ``weights/<model>/manifest.json`` is tracked in the repository (without git:
    the manifests on disk and the models with a recorded training command)."""
    try:
        listed = subprocess.run(["git", "ls-files", "--", "weights/*/manifest.json"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        from inpaint_core.networks.weights import TRAIN_COMMANDS

        return {p.parent.name for p in (ROOT / "weights").glob("*/manifest.json")} | set(TRAIN_COMMANDS)
    return {Path(line).parent.name for line in listed}


@pytest.fixture(scope="session")
def require_available():
    """``require_available(name)`` returns the method, or skips the test with the reason it cannot run;
    in CI (``CI=true``) a shipped model that is missing or fails its checksum fails the test instead."""
    from inpaint_core import get_method
    from inpaint_core.registry import find_any_method

    shipped = shipped_models()
    in_ci = os.environ.get("CI", "").lower() == "true"

    def check(name: str):
        impl = find_any_method(name) or get_method(name)  # inpainting or restoration methods
        ok, why = impl.availability()
        if ok:
            return impl
        model = getattr(impl, "model", None)
        if in_ci and model in shipped:
            pytest.fail(f"{name}: the shipped model {model} is unavailable in CI: {why}")
        pytest.skip(f"{name} is unavailable: {why}")

    return check


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
