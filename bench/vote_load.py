"""Load test of the Vote tab: simulated raters voting concurrently against the running app (loopback only).

Starts a server process with only the Vote tab over a fresh SQLite file (synthetic case folders, or
``--gallery DIR``), then runs ``--raters`` simulated raters, each of which asks for a pair
(``vote_next_pair``), looks at it for 0.4-1.2 s, and votes (``vote_submit``), for ``--duration``
seconds: faster than the app's per-session rate limit allows, which the bench server lifts. By
default the raters are coroutines calling Gradio's REST API from one event loop, so the load
generator costs little CPU; ``--client gradio`` uses one gradio_client per rater thread instead;
``--path ui`` votes through the buttons' endpoints, as the browser does.
Reports accepted votes against rows in the database, refusals, errors and round-trip times.

    python bench/vote_load.py                 # 50 raters, 60 s
    python bench/vote_load.py --duration 20   # shorter while developing
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(workdir: Path, port: int, gallery: Path | None) -> None:
    """Server side (run in its own process): the Vote tab alone, on loopback."""
    import gradio as gr
    import numpy as np

    from inpaint_app.config import AppConfig
    from inpaint_app.vote_tab import build_vote_tab, make_study_service
    from inpaint_core.cases import write_case

    if gallery is None:
        gallery = workdir / "gallery"
        rng = np.random.default_rng(0)
        for i in range(12):
            image = rng.random((256, 256, 3)).astype(np.float32)
            mask = np.zeros((256, 256), bool)
            mask[80:170, 60:200] = True
            outputs = {
                m: np.where(mask[..., None], rng.random((256, 256, 3)) * k / 4, image).astype(np.float32)
                for k, m in enumerate(["alpha_fill", "beta_fill", "gamma_fill", "delta_fill"], start=1)
            }
            write_case(gallery, image, mask, outputs, case_id=f"bench{i:02d}")
    # the per-session rate limit (60 votes a minute) guards against scripts posing as people; these
    # raters vote faster than that on purpose, so it is lifted here to measure the server itself
    config = AppConfig(gallery_dir=gallery, recent_dir=workdir / "recent", database_url=f"sqlite:///{workdir / 'votes.db'}",
                       vote_rate_limit=(10_000, 60.0))
    with gr.Blocks() as demo:
        build_vote_tab(make_study_service(config), config)
    demo.queue(default_concurrency_limit=4).launch(server_name="127.0.0.1", server_port=port, quiet=True)


def rater(url: str, deadline: float, mode: str, stats: dict, lock: threading.Lock, seed: int) -> None:
    import random

    from gradio_client import Client

    rnd = random.Random(seed)
    try:
        # the pair's images stay on the server: a browser rater fetches them itself, and doing it
        # here would put 50 downloaders on the server's own 2 cores
        client = Client(url, verbose=False, download_files=False)
    except Exception as exc:  # noqa: BLE001
        with lock:
            stats["errors"].append(f"connect: {exc!r}")
        return
    while time.time() < deadline:
        try:
            t0 = time.perf_counter()
            out = client.predict(mode, "", 0, api_name="/vote_next_pair")
            t1 = time.perf_counter()
            token = out[2]
            if not token:
                with lock:
                    stats["errors"].append(f"no pair: {out[3]}")
                return
            time.sleep(rnd.uniform(0.4, 1.2))  # looking at the pair
            t2 = time.perf_counter()
            result = client.predict(token, rnd.choice(["left", "right"]), api_name="/vote_submit")
            t3 = time.perf_counter()
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            with lock:
                stats["errors"].append(repr(exc)[:200])
            continue
        with lock:
            _record(stats, (t0, t1, t2, t3), result)



def _record(stats: dict, t: tuple[float, float, float, float], result: dict) -> None:
    stats["pair_ms"].append(1000 * (t[1] - t[0]))
    stats["vote_ms"].append(1000 * (t[3] - t[2]))
    if result.get("accepted"):
        stats["accepted"] += 1
        stats["too_fast"] += bool(result.get("too_fast"))
    else:
        stats["refused"][result.get("reason", "?")] = stats["refused"].get(result.get("reason", "?"), 0) + 1


async def _call(client, url: str, api: str, data: list, session: str):
    """One call through Gradio's REST API (POST .../call/<api>, then read its event stream)."""
    posted = await client.post(f"{url}gradio_api/call/{api}", json={"data": data, "session_hash": session})
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    async with client.stream("GET", f"{url}gradio_api/call/{api}/{event_id}") as resp:
        event = None
        async for line in resp.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                if event == "error":
                    raise RuntimeError(f"{api}: {line[5:].strip()}")
                return json.loads(line[5:])
    raise RuntimeError(f"{api}: the event stream ended without a result")


async def _http_raters(url: str, raters: int, deadline: float, mode: str, stats: dict, ui: bool = False) -> None:
    """``raters`` coroutines on one event loop: the load generator costs little CPU, so the
    figures measure the server rather than 50 client libraries sharing its cores."""
    import asyncio
    import random

    import httpx

    async def one(i: int) -> None:
        rnd, session = random.Random(i), f"load-{i:04d}"
        async with httpx.AsyncClient(timeout=60) as client:
            while time.time() < deadline:
                try:
                    t0 = time.perf_counter()
                    out = await _call(client, url, "vote_next_pair", [mode, "", 0], session)
                    t1 = time.perf_counter()
                    if not out[2]:
                        stats["errors"].append(f"no pair: {out[3]}")
                        return
                    await asyncio.sleep(rnd.uniform(0.4, 1.2))  # looking at the pair
                    t2 = time.perf_counter()
                    result = await _call(client, url, "vote_submit", [out[2], rnd.choice(["left", "right"])], session)
                    t3 = time.perf_counter()
                except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                    stats["errors"].append(repr(exc)[:200])
                    continue
                _record(stats, (t0, t1, t2, t3), result[0])

    async def one_ui(i: int) -> None:
        """The browser's path: a choice button records the vote and returns the reveal and the next pair."""
        rnd, session = random.Random(i), f"load-{i:04d}"
        async with httpx.AsyncClient(timeout=60) as client:
            try:
                t0 = time.perf_counter()
                out = await _call(client, url, "vote_next_pair", [mode, "", 0], session)
                t1 = time.perf_counter()
            except Exception as exc:  # noqa: BLE001
                stats["errors"].append(repr(exc)[:200])
                return
            token = out[2]
            while time.time() < deadline and token:
                await asyncio.sleep(rnd.uniform(0.4, 1.2))  # looking at the pair
                try:
                    t2 = time.perf_counter()
                    side = rnd.choice(["left", "right"])
                    out = await _call(client, url, f"vote_submit_{side}", [token, mode, "", 0], session)
                    t3 = time.perf_counter()
                except Exception as exc:  # noqa: BLE001
                    stats["errors"].append(repr(exc)[:200])
                    return
                accepted = out[0].startswith("**Previous pair:**")
                _record(stats, (t0, t1, t2, t3), {"accepted": accepted, "reason": out[0][:60]})
                t0, t1, token = t2, t3, out[3]

    await asyncio.gather(*((one_ui if ui else one)(i) for i in range(raters)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raters", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--mode", default="Real or inpainted?", choices=["Real or inpainted?", "Which fill is better?"])
    parser.add_argument("--gallery", type=Path, default=None, help="case folders to use (default: synthetic)")
    parser.add_argument("--client", default="http", choices=["http", "gradio"],
                        help="http: async calls to Gradio's REST API from one event loop (default); "
                        "gradio: one gradio_client per rater thread (heavier: it competes with the server for CPU)")
    parser.add_argument("--path", default="script", choices=["script", "ui"],
                        help="script: vote_next_pair, then vote_submit (default); ui: the buttons' endpoints "
                        "(vote_submit_left/right), which record the vote and return the reveal and the next pair "
                        "in one call, as in the browser (the next-pair time is then part of the vote time)")
    parser.add_argument("--serve", nargs=2, metavar=("WORKDIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]), args.gallery)
        return
    if not (1 <= args.raters <= 200 and 1 <= args.duration <= 300):
        parser.error("keep it bounded: 1-200 raters, 1-300 s")

    from gradio_client import Client

    from inpaint_core.study.store import VoteStore

    with tempfile.TemporaryDirectory(prefix="vote-load-") as tmp:
        workdir, port = Path(tmp), _free_port()
        cmd = [sys.executable, __file__, "--serve", str(workdir), str(port)]
        if args.gallery:
            cmd += ["--gallery", str(args.gallery)]
        server = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        url = f"http://127.0.0.1:{port}/"
        try:
            for _ in range(120):
                try:
                    Client(url, verbose=False)
                    break
                except Exception:  # noqa: BLE001 - not up yet
                    time.sleep(0.5)
            else:
                raise SystemExit("the server did not start")
            stats = {"accepted": 0, "too_fast": 0, "refused": {}, "errors": [], "pair_ms": [], "vote_ms": []}
            lock = threading.Lock()
            start = time.time()
            deadline = start + args.duration
            if args.client == "http":
                import asyncio

                asyncio.run(_http_raters(url, args.raters, deadline, args.mode, stats, ui=args.path == "ui"))
            else:
                threads = [
                    threading.Thread(target=rater, args=(url, deadline, args.mode, stats, lock, i), daemon=True)
                    for i in range(args.raters)
                ]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(timeout=args.duration + 60)
            elapsed = time.time() - start
            store = VoteStore(f"sqlite:///{workdir / 'votes.db'}")
            rows = store.count_votes()
            store.close()
        finally:
            server.terminate()
            server.wait(timeout=30)

    def q(values, p):
        return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else float("nan")

    report = {
        "raters": args.raters, "client": args.client, "path": args.path, "duration_s": round(elapsed, 1), "mode": args.mode,
        "accepted_votes": stats["accepted"], "rows_in_db": rows, "too_fast_flagged": stats["too_fast"],
        "refused": stats["refused"], "errors": len(stats["errors"]), "first_errors": stats["errors"][:3],
        "votes_per_s": round(stats["accepted"] / elapsed, 1),
        "vote_ms_median": round(statistics.median(stats["vote_ms"]), 1) if stats["vote_ms"] else None,
        "vote_ms_p95": round(q(stats["vote_ms"], 95), 1),
        "next_pair_ms_median": round(statistics.median(stats["pair_ms"]), 1) if stats["pair_ms"] else None,
        "next_pair_ms_p95": round(q(stats["pair_ms"], 95), 1),
    }
    print(json.dumps(report, indent=1))
    ok = rows == stats["accepted"] and not stats["errors"]
    print("OK: every accepted vote is in the database, no errors" if ok else "PROBLEM: see above")


if __name__ == "__main__":
    main()
