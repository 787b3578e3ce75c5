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

import numpy as np
import pytest
from sqlalchemy import create_engine, inspect, text

from inpaint_core.cases import write_case
from inpaint_core.study import store as store_module
from inpaint_core.study.pairs import PairPool
from inpaint_core.study.service import StudyService
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

    current = store_module.SCHEMA_VERSION
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(store_module.MIGRATIONS, current + 1, add_note_column)
    for _ in range(2):
        again = VoteStore(url)
        assert again.schema_version() == current + 1 and again.count_votes() == 1
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT note FROM votes")).scalar() == ""
        again.close()
    assert calls == [1]
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", current)
    with pytest.raises(SchemaError):
        VoteStore(url)  # the database is newer than the code


def test_migration_to_v2_adds_skips_to_a_v1_database(url):
    store = VoteStore(url)
    study = store.get_study("")
    voted, still_open = _issue(store, study, "s", 2, now=10.0)
    store.record_vote(voted, "s", "left", now=11.0)
    store.close()
    engine = create_engine(url)
    with engine.begin() as conn:  # back to the v1 schema: no shown.skipped
        conn.execute(text("ALTER TABLE shown DROP COLUMN skipped"))
        conn.execute(text("UPDATE study_schema_version SET version = 1"))
    engine.dispose()
    upgraded = VoteStore(url)
    assert upgraded.schema_version() == 2
    assert "skipped" in {c["name"] for c in inspect(upgraded.engine).get_columns("shown")}
    assert upgraded.count_votes() == 1
    assert upgraded.shown_pair(still_open, "s")["skipped"] is None  # old pairs are open, not skipped
    assert upgraded.skip(still_open, "s", now=12.0)
    assert upgraded.shown_outcomes(study) == [
        {"mode": "real", "left_method": "__photo__", "right_method": "m0", "voted": 1, "skipped": 0, "open": 0},
        {"mode": "real", "left_method": "__photo__", "right_method": "m1", "voted": 0, "skipped": 1, "open": 0},
    ]
    upgraded.close()


# ----------------------------------------------------------------------------- skips
def test_a_new_pair_skips_the_open_one_and_a_skipped_pair_takes_no_vote(url):
    store = VoteStore(url)
    study = store.get_study("")
    first = store.issue(study, "s", "real", "gallery/c0", "__photo__", "m0", swapped=False, skip_open=True, now=1.0)
    other = store.issue(study, "t", "real", "gallery/c0", "__photo__", "m0", swapped=False, skip_open=True, now=1.0)
    second = store.issue(study, "s", "duel", "gallery/c0", "m0", "m1", swapped=False, skip_open=True, now=2.0)
    assert store.shown_pair(first, "s")["skipped"] == 2.0  # replaced by the new pair without a vote
    assert store.shown_pair(other, "t")["skipped"] is None  # another rater's pair is untouched
    with pytest.raises(VoteRejected) as exc:
        store.record_vote(first, "s", "left", now=3.0)
    assert exc.value.reason == "skipped"
    store.record_vote(second, "s", "tie", now=3.0)
    third = store.issue(study, "s", "duel", "gallery/c1", "m1", "m0", swapped=True, skip_open=True, now=4.0)
    assert store.shown_pair(second, "s")["skipped"] is None  # voted on: not a skip
    with pytest.raises(VoteRejected) as exc:
        store.skip(third, "intruder")
    assert exc.value.reason == "unknown"
    assert store.skip(third, "s", now=5.0) and not store.skip(third, "s", now=6.0)  # an explicit skip, once
    with pytest.raises(VoteRejected) as exc:
        store.skip(second, "s")
    assert exc.value.reason == "replayed"
    plain = _issue(store, study, "s", 2, now=7.0)  # without skip_open (scripts, tests) nothing is skipped
    assert all(store.shown_pair(tok, "s")["skipped"] is None for tok in plain)
    outcomes = {(o["mode"], o["left_method"], o["right_method"]): o for o in store.shown_outcomes(study)}
    assert outcomes[("real", "__photo__", "m0")] == {
        "mode": "real", "left_method": "__photo__", "right_method": "m0", "voted": 0, "skipped": 1, "open": 2}
    assert (outcomes[("duel", "m0", "m1")]["voted"], outcomes[("duel", "m1", "m0")]["skipped"]) == (1, 1)
    assert store.count_votes() == 1
    store.close()


def test_service_records_skips_and_reports_skip_rates(url, tmp_path):
    rng = np.random.default_rng(0)
    for i in range(2):
        image = rng.random((16, 20, 3)).astype(np.float32)
        mask = np.zeros((16, 20), bool)
        mask[4:9, 6:12] = True
        write_case(tmp_path / "gallery", image, mask, {"m1": image * 0.5, "m2": image * 0.25}, case_id=f"c{i}")
    service = StudyService(VoteStore(url, min_response_ms=0), PairPool({"gallery": tmp_path / "gallery"}), seed=1)
    skipped = service.next_pair("rater", "", "real")
    voted = service.next_pair("rater", "", "real")  # "Start / new pair" again: the first pair is skipped
    service.vote("rater", voted.token, "left")
    with pytest.raises(VoteRejected) as exc:
        service.vote("rater", skipped.token, "left")
    assert exc.value.reason == "skipped"
    duel = service.next_pair("rater", "", "duel")
    assert service.skip("rater", duel.token)
    _, results = service.results("")
    first, second = (service.store.shown_pair(o.token, "rater") for o in (skipped, voted))
    assert {first["right_method"], first["left_method"]} != {second["right_method"], second["left_method"]}  # balanced
    by_method = {r["method"]: r for r in results.fooled}
    skipped_method = next(m for m in (first["left_method"], first["right_method"]) if m != "__photo__")
    voted_method = next(m for m in (second["left_method"], second["right_method"]) if m != "__photo__")
    # the skipped method is listed (unvoted, 1 of 1 pairs skipped), not left out of the table
    assert (by_method[skipped_method]["n"], by_method[skipped_method]["skipped"], by_method[skipped_method]["resolved"]) == (0, 1, 1)
    assert (by_method[voted_method]["n"], by_method[voted_method]["skipped"], by_method[voted_method]["skip_rate"]) == (1, 0, 0.0)
    (pair,) = results.pairs
    assert (pair["votes"], pair["skipped"], pair["skip_rate"]) == (0, 1, 1.0)
    assert results.bt_rows == []  # no duel was voted on
    assert (results.n_skipped, results.n_resolved) == (2, 3)
    assert "skipped" in service.results_csv("")[1].splitlines()[0]
    service.store.close()


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
