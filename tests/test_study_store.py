"""The vote store on a real database: SQLite file always, PostgreSQL when INPAINT_LAB_TEST_PG_URL is set.

Concurrency is tested for real: many threads, two processes racing on the same one-time tokens, and
a writer process killed mid-run. Nothing may be lost, nothing counted twice.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from inpaint_core.study import store as store_module
from inpaint_core.study.store import Base, SchemaError, VoteRejected, VoteStore

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("INPAINT_LAB_TEST_PG_URL")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(
        not PG_URL, reason="set INPAINT_LAB_TEST_PG_URL=postgresql+psycopg2://... to run the store tests on PostgreSQL",
    )),
]
NO_LIMIT = (10**9, 60.0)


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'votes.db'}"
    engine = create_engine(PG_URL)
    Base.metadata.drop_all(engine)  # a clean slate: this database is for tests only
    engine.dispose()
    return PG_URL


def _issue(store, study, session, n, mode="real", now=None):
    return [
        store.issue(study, session, mode, f"gallery/c{i}", "__photo__", f"m{i % 3}", swapped=False, now=now)
        for i in range(n)
    ]


def _run_child(code: str, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, text=True, **popen,
    )


# ----------------------------------------------------------------------------- basics
def test_first_start_creates_file_in_wal_mode(tmp_path):
    path = tmp_path / "new" / "dir" / "votes.db"
    store = VoteStore(f"sqlite:///{path}")
    assert path.exists() and store.schema_version() == store_module.SCHEMA_VERSION
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()


def test_vote_round_trip_and_export(url):
    store = VoteStore(url, min_response_ms=300)
    study = store.get_study("")
    token = store.issue(study, "s1", "duel", "gallery/c0", "b", "a", swapped=True, now=1000.0)
    vote = store.record_vote(token, "s1", "tie", now=1000.75)
    assert vote["response_ms"] == 750 and not vote["too_fast"]
    (row,) = store.votes(study)
    assert {k: row[k] for k in ("mode", "item_id", "left_method", "right_method", "swapped", "choice", "study_code")} == {
        "mode": "duel", "item_id": "gallery/c0", "left_method": "b", "right_method": "a", "swapped": True,
        "choice": "tie", "study_code": "PUBLIC"}
    exported = list(csv.DictReader(io.StringIO(store.export_csv(study))))
    assert len(exported) == 1 and exported[0]["choice"] == "tie" and exported[0]["response_ms"] == "750"
    store.close()


def test_replay_other_session_and_bad_choice_refused(url):
    store = VoteStore(url)
    study = store.get_study("")
    (token,) = _issue(store, study, "s1", 1)
    with pytest.raises(VoteRejected) as exc:
        store.record_vote(token, "intruder", "left")
    assert exc.value.reason == "unknown"
    with pytest.raises(VoteRejected) as exc:
        store.record_vote(token, "s1", "tie")  # no ties in "real or inpainted?"
    assert exc.value.reason == "choice"
    store.record_vote(token, "s1", "left")
    with pytest.raises(VoteRejected) as exc:
        store.record_vote(token, "s1", "left")
    assert exc.value.reason == "replayed"
    with pytest.raises(VoteRejected):
        store.record_vote("not-a-token", "s1", "left")
    assert store.count_votes() == 1
    store.close()


def test_too_fast_votes_are_kept_and_flagged(url):
    store = VoteStore(url, min_response_ms=300)
    study = store.get_study("")
    fast, slow = _issue(store, study, "s", 2, now=50.0)
    assert store.record_vote(fast, "s", "left", now=50.1)["too_fast"]
    assert not store.record_vote(slow, "s", "left", now=50.4)["too_fast"]
    assert len(store.votes(study)) == 2 and len(store.votes(study, include_too_fast=False)) == 1
    store.close()


def test_rate_limit_per_session(url):
    store = VoteStore(url, rate_limit=(3, 10.0))
    study = store.get_study("")
    tokens = _issue(store, study, "s", 5, now=100.0)
    for i in range(3):
        store.record_vote(tokens[i], "s", "left", now=101.0 + i)
    with pytest.raises(VoteRejected) as exc:
        store.record_vote(tokens[3], "s", "left", now=104.0)
    assert exc.value.reason == "rate_limited"
    other = _issue(store, study, "other", 1, now=104.0)[0]
    store.record_vote(other, "other", "left", now=104.5)  # another session is not affected
    store.record_vote(tokens[3], "s", "left", now=112.0)  # the window has moved on; the pair stayed open
    with pytest.raises(VoteRejected) as exc:
        _issue(store, study, "s", 7, now=112.5)  # at most twice the vote limit of pairs per window
    assert exc.value.reason == "rate_limited"
    store.close()


def test_classroom_studies_are_isolated_and_keyed(url):
    store = VoteStore(url)
    a, key_a = store.create_study(title="A", modes=["real"], methods=["m0"], items=["gallery/c0"], pairs_per_rater=2)
    b, key_b = store.create_study(title="B", modes=["real", "duel"], pairs_per_rater=0)
    assert a.code != b.code and len(a.code) == 6 and store.get_study(a.code.lower()) == a
    assert store.check_teacher(a.code, key_a) and not store.check_teacher(a.code, key_b)
    assert store.get_study("NOPE99") is None
    with pytest.raises(VoteRejected):
        store.issue(a, "s", "duel", "gallery/c0", "m0", "m1", swapped=False)  # study A runs only "real"
    for token in _issue(store, a, "s", 2):
        store.record_vote(token, "s", "left")
    with pytest.raises(VoteRejected) as exc:
        _issue(store, a, "s", 1)
    assert exc.value.reason == "quota"
    store.record_vote(_issue(store, b, "s", 1)[0], "s", "right")
    assert [v["study_code"] for v in store.votes(a)] == [a.code, a.code]
    assert [v["choice"] for v in store.votes(b)] == ["right"]
    assert store.votes(store.get_study("")) == []
    store.close()


# ----------------------------------------------------------------------------- migrations
def test_migrations_run_in_order_once(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'votes.db'}"
    store = VoteStore(url)
    store.record_vote(_issue(store, store.get_study(""), "s", 1)[0], "s", "left")
    store.close()
    calls = []

    def add_note_column(conn):
        calls.append(1)
        conn.execute(text("ALTER TABLE votes ADD COLUMN note VARCHAR(50) DEFAULT ''"))

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(store_module.MIGRATIONS, 2, add_note_column)
    for _ in range(2):
        again = VoteStore(url)
        assert again.schema_version() == 2 and again.count_votes() == 1
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT note FROM votes")).scalar() == ""
        again.close()
    assert calls == [1]
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
    with pytest.raises(SchemaError):
        VoteStore(url)  # the database is newer than the code


# ----------------------------------------------------------------------------- concurrency
def test_many_threads_and_double_clicks(url):
    store = VoteStore(url, rate_limit=NO_LIMIT)
    study = store.get_study("")
    n_threads, per_thread = 12, 15
    tokens = {t: _issue(store, study, f"s{t}", per_thread) for t in range(n_threads)}
    accepted, refused, errors = [], [], []
    lock = threading.Lock()

    def rater(t):
        for token in tokens[t]:
            for _ in range(2):  # every vote is sent twice: a double click
                try:
                    vote = store.record_vote(token, f"s{t}", "right")
                    with lock:
                        accepted.append(vote["token"])
                except VoteRejected as exc:
                    with lock:
                        refused.append(exc.reason)
                except Exception as exc:  # noqa: BLE001 - any database error fails the test below
                    with lock:
                        errors.append(repr(exc))

    # two threads per session race on the same tokens as well
    threads = [threading.Thread(target=rater, args=(t,)) for t in range(n_threads) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    expected = {tok for toks in tokens.values() for tok in toks}
    assert sorted(accepted) == sorted(expected)  # each exactly once
    assert len(refused) == 3 * len(expected) and set(refused) == {"replayed"}
    rows = store.votes(study)
    assert len(rows) == len(expected) == len({r["id"] for r in rows})
    store.close()


_RACER = """
import json, random, sys, time
from inpaint_core.study.store import VoteRejected, VoteStore
url, tokens = sys.argv[1], json.loads(sys.argv[2])
store = VoteStore(url, rate_limit=(10**9, 60.0))
store.count_votes()  # connected and ready
print("ready", flush=True)
sys.stdin.readline()  # wait for "go", so that both processes write at the same time
won = []
for token in tokens:
    try:
        won.append(store.record_vote(token, "shared", "left")["token"])
    except VoteRejected:
        pass
    time.sleep(random.uniform(0.0, 0.02))  # leave gaps, as real raters do, so neither process starves the other
print(json.dumps(won))
"""


def test_two_processes_race_on_the_same_pairs(url):
    store = VoteStore(url, rate_limit=NO_LIMIT)
    study = store.get_study("")
    tokens = _issue(store, study, "shared", 120)
    children = [
        _run_child(_RACER, url, json.dumps(tokens), stdin=subprocess.PIPE),
        _run_child(_RACER, url, json.dumps(tokens[::-1]), stdin=subprocess.PIPE),  # meet in the middle
    ]
    for child in children:
        assert child.stdout.readline().strip() == "ready"
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    won = []
    for child in children:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0
        won.append(json.loads(out))
    assert sorted(won[0] + won[1]) == sorted(tokens)  # none lost, none doubled
    assert len(won[0]) > 0 and len(won[1]) > 0  # both processes really wrote
    assert sorted(v["token"] for v in store.votes(study)) == sorted(tokens)
    store.close()


_WRITER = """
import sys
from inpaint_core.study.store import VoteStore
store = VoteStore(sys.argv[1], rate_limit=(10**9, 60.0))
study = store.get_study("")
i = 0
while True:
    token = store.issue(study, "victim", "real", f"gallery/c{i % 7}", "__photo__", "m1", swapped=False)
    store.record_vote(token, "victim", "right")
    print(token, flush=True)  # printed only after the commit returned
    i += 1
"""


def test_process_killed_mid_run_loses_no_committed_vote(url):
    VoteStore(url).close()  # create the schema first so the child starts writing at once
    child = _run_child(_WRITER, url, start_new_session=True)
    committed = []
    try:
        for line in child.stdout:
            committed.append(line.strip())
            if len(committed) >= 60:
                break
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # no clean shutdown: the process dies mid-transaction
        child.wait(timeout=30)
    committed += [line.strip() for line in child.stdout.read().splitlines() if line.strip()]
    store = VoteStore(url)
    stored = {v["token"] for v in store.votes()}
    assert set(committed) <= stored and len(committed) >= 60
    assert len(stored) <= len(committed) + 1  # at most the vote in flight when killed
    if store.is_sqlite:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    store.close()
