"""Vote storage for the human-preference study, through SQLAlchemy.

By default a SQLite file (WAL mode, created on first start); any SQLAlchemy URL works, e.g.
``postgresql+psycopg2://user:pass@host/db`` for a shared, persistent deployment.

Integrity rests on the ``shown`` table: every pair handed to a rater is a row with a random one-time
token. A vote names that token; the store claims it with a conditional update (``voted IS NULL``)
inside one transaction together with the insert of the vote, and ``votes.token`` is unique, so a
double click, a replayed request or two racing processes can never count one shown pair twice.
Votes faster than ``min_response_ms`` after the pair was issued are kept but flagged ``too_fast``.

A pair that is replaced by a new one before its vote (``issue(..., skip_open=True)``, which the
service uses for every new pair) or skipped outright (:meth:`VoteStore.skip`) is marked
``shown.skipped``; a skipped pair takes no vote. The results report skip rates, so that raters
passing over hard pairs cannot flatter a method unseen.

The schema carries a version number (table ``study_schema_version``); :data:`MIGRATIONS` maps each
version to the step that upgrades the previous one, applied in order on start.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import secrets
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import (
    Boolean, Float, ForeignKey, Index, Integer, String, Text, case, create_engine, event, func, inspect, select,
    text, update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "VoteStore", "VoteRejected", "StudyInfo", "SCHEMA_VERSION", "MIGRATIONS", "MODES", "CHOICES", "PUBLIC_CODE",
    "SchemaError",
]

SCHEMA_VERSION = 2


def _add_shown_skipped(conn: Connection) -> None:
    """v2: ``shown.skipped``, the time a pair was skipped (replaced by a new pair without a vote)."""
    conn.execute(text("ALTER TABLE shown ADD COLUMN skipped FLOAT"))


#: ``MIGRATIONS[n](conn)`` upgrades a database at version n-1 to version n.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {2: _add_shown_skipped}

MODES = ("real", "duel", "demosaic")  # "Real or inpainted?" (2AFC), "Which fill is better?" (duel), "Real or de-mosaiced?"
CHOICES = {"real": ("left", "right"), "duel": ("left", "right", "tie", "both_bad"), "demosaic": ("left", "right")}
PUBLIC_CODE = "PUBLIC"
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to read out in a classroom
_CODE_LENGTH = 6


class Base(DeclarativeBase):
    pass


class SchemaVersionRow(Base):
    __tablename__ = "study_schema_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated: Mapped[float] = mapped_column(Float)


class StudyRow(Base):
    __tablename__ = "studies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    modes: Mapped[str] = mapped_column(String(32))  # comma-separated subset of MODES
    methods: Mapped[str] = mapped_column(Text, default="[]")  # JSON list; [] = every method
    items: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of case keys; [] = every case
    pairs_per_rater: Mapped[int] = mapped_column(Integer, default=0)  # 0 = unlimited
    exposure_s: Mapped[float] = mapped_column(Float, default=0.0)  # 0 = the pair stays visible
    teacher_key_hash: Mapped[str] = mapped_column(String(64), default="")
    created: Mapped[float] = mapped_column(Float)


class ShownRow(Base):
    __tablename__ = "shown"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    session_id: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(8))
    item_id: Mapped[str] = mapped_column(String(300))
    left_method: Mapped[str] = mapped_column(String(100))
    right_method: Mapped[str] = mapped_column(String(100))
    swapped: Mapped[bool] = mapped_column(Boolean)
    issued: Mapped[float] = mapped_column(Float)
    voted: Mapped[float | None] = mapped_column(Float, nullable=True)
    skipped: Mapped[float | None] = mapped_column(Float, nullable=True)  # v2: replaced without a vote
    __table_args__ = (
        Index("ix_shown_session_issued", "session_id", "issued"),
        Index("ix_shown_study_mode", "study_id", "mode"),
    )


class VoteRow(Base):
    __tablename__ = "votes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(ForeignKey("shown.token"), unique=True)
    created: Mapped[float] = mapped_column(Float)  # unix time of the vote
    session_id: Mapped[str] = mapped_column(String(64))  # anonymous
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    mode: Mapped[str] = mapped_column(String(8))
    item_id: Mapped[str] = mapped_column(String(300))
    left_method: Mapped[str] = mapped_column(String(100))  # displayed on the left
    right_method: Mapped[str] = mapped_column(String(100))  # displayed on the right
    swapped: Mapped[bool] = mapped_column(Boolean)  # displayed order is the reverse of the canonical one
    choice: Mapped[str] = mapped_column(String(10))  # left | right | tie | both_bad
    response_ms: Mapped[int] = mapped_column(Integer)  # from issuing the pair to the vote, server clock
    too_fast: Mapped[bool] = mapped_column(Boolean)
    __table_args__ = (
        Index("ix_votes_session_created", "session_id", "created"),
        Index("ix_votes_study_mode", "study_id", "mode"),
    )


VOTE_COLUMNS = (
    "id", "created", "session_id", "study_code", "mode", "item_id", "left_method", "right_method", "swapped",
    "choice", "response_ms", "too_fast",
)


class VoteRejected(ValueError):
    """A vote or a pair request that the store refused; ``reason`` is a short code, str() a sentence."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class SchemaError(RuntimeError):
    """The database's schema cannot be used by this version of the code."""


@dataclasses.dataclass(frozen=True)
class StudyInfo:
    id: int
    code: str
    title: str
    modes: tuple[str, ...]
    methods: tuple[str, ...]  # empty: every method
    items: tuple[str, ...]  # empty: every case
    pairs_per_rater: int
    exposure_s: float

    @property
    def is_public(self) -> bool:
        return self.code == PUBLIC_CODE


# ----------------------------------------------------------------------------- engine
def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, a long busy timeout and write-locking transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ValueError("The vote store needs a SQLite *file* (sqlite:///path/votes.db), not an in-memory database.")
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": 60.0, "check_same_thread": False}, pool_size=8, max_overflow=24,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001 - DB-API objects
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (SQLAlchemy's
        # documented recipe for pysqlite), so that writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")  # a committed vote survives a crash or power loss
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # Writers lock at BEGIN (no read-then-upgrade deadlock); readers use WAL snapshots.
        mode = "DEFERRED" if conn.get_execution_options().get("read_only") else "IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# ----------------------------------------------------------------------------- store
class VoteStore:
    """Votes, shown pairs and studies in one SQL database.

    Parameters
    ----------
    url : str
        SQLAlchemy URL; a SQLite file is created (with its folder) on first start.
    min_response_ms : int
        Votes faster than this after the pair was issued are kept but flagged ``too_fast``.
    rate_limit : (int, float)
        At most that many votes per session in any window of that many seconds; a session may
        request at most twice as many pairs in the same window.
    """

    def __init__(
        self, url: str, *, min_response_ms: int = 300, rate_limit: tuple[int, float] = (60, 60.0),
    ):
        self.url = url
        self.min_response_ms = int(min_response_ms)
        self.rate_limit = (int(rate_limit[0]), float(rate_limit[1]))
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        with self.engine.begin() as conn:
            self._migrate(conn)

    def close(self) -> None:
        self.engine.dispose()

    def _read(self):
        return self.engine.connect().execution_options(read_only=True)

    # ------------------------------------------------------------------ schema
    def _migrate(self, conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(704215)"))  # one migrator at a time
        inspector = inspect(conn)
        if not inspector.has_table(SchemaVersionRow.__tablename__):
            if inspector.has_table(VoteRow.__tablename__):
                raise SchemaError("The database has a votes table but no schema version; refusing to guess.")
            Base.metadata.create_all(conn)
            conn.execute(SchemaVersionRow.__table__.insert().values(id=1, version=SCHEMA_VERSION, updated=time.time()))
        else:
            version = conn.execute(select(SchemaVersionRow.version).where(SchemaVersionRow.id == 1)).scalar_one()
            if version > SCHEMA_VERSION:
                raise SchemaError(
                    f"The vote database is at schema version {version}, newer than this code's {SCHEMA_VERSION}; "
                    "upgrade Inpaint Lab."
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](conn)
                conn.execute(
                    update(SchemaVersionRow).where(SchemaVersionRow.id == 1).values(version=step, updated=time.time())
                )
        exists = conn.execute(select(StudyRow.id, StudyRow.modes).where(StudyRow.code == PUBLIC_CODE)).first()
        if exists is None:
            conn.execute(StudyRow.__table__.insert().values(
                code=PUBLIC_CODE, title="Public study", modes=",".join(MODES), methods="[]", items="[]",
                pairs_per_rater=0, exposure_s=0.0, teacher_key_hash="", created=time.time(),
            ))
        elif exists.modes != ",".join(MODES):  # the public study runs every mode, new ones included
            conn.execute(update(StudyRow).where(StudyRow.id == exists.id).values(modes=",".join(MODES)))

    def schema_version(self) -> int:
        with self._read() as conn:
            return conn.execute(select(SchemaVersionRow.version).where(SchemaVersionRow.id == 1)).scalar_one()

    # ------------------------------------------------------------------ studies
    def create_study(
        self,
        *,
        title: str = "",
        modes: Sequence[str] = MODES,
        methods: Sequence[str] = (),
        items: Sequence[str] = (),
        pairs_per_rater: int = 20,
        exposure_s: float = 0.0,
    ) -> tuple[StudyInfo, str]:
        """Create a classroom study; returns it and the teacher key (shown once, stored hashed)."""
        modes = tuple(m for m in MODES if m in set(modes))
        if not modes:
            raise ValueError(f"A study needs at least one mode out of {MODES}.")
        if pairs_per_rater < 0 or exposure_s < 0:
            raise ValueError("Pairs per rater and exposure time cannot be negative.")
        teacher_key = secrets.token_urlsafe(12)
        for _ in range(20):
            code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
            try:
                with self.engine.begin() as conn:
                    conn.execute(StudyRow.__table__.insert().values(
                        code=code, title=title.strip()[:200], modes=",".join(modes),
                        methods=json.dumps(sorted(set(methods))), items=json.dumps(sorted(set(items))),
                        pairs_per_rater=int(pairs_per_rater), exposure_s=float(exposure_s),
                        teacher_key_hash=_hash_key(teacher_key), created=time.time(),
                    ))
            except IntegrityError:
                continue  # code already taken: draw another
            return self.get_study(code), teacher_key
        raise RuntimeError("Could not find a free study code.")

    def get_study(self, code: str) -> StudyInfo | None:
        code = (code or "").strip().upper() or PUBLIC_CODE
        with self._read() as conn:
            row = conn.execute(select(StudyRow).where(StudyRow.code == code)).first()
        return None if row is None else _study_info(row)

    def check_teacher(self, code: str, teacher_key: str) -> bool:
        """True when ``teacher_key`` opens study ``code`` (the public study needs no key)."""
        code = (code or "").strip().upper() or PUBLIC_CODE
        with self._read() as conn:
            stored = conn.execute(select(StudyRow.teacher_key_hash).where(StudyRow.code == code)).scalar_one_or_none()
        if stored is None:
            return False
        if code == PUBLIC_CODE:
            return True
        return secrets.compare_digest(stored, _hash_key((teacher_key or "").strip()))

    # ------------------------------------------------------------------ pairs and votes
    def issue(
        self,
        study: StudyInfo,
        session_id: str,
        mode: str,
        item_id: str,
        left_method: str,
        right_method: str,
        *,
        swapped: bool,
        skip_open: bool = False,
        now: float | None = None,
    ) -> str:
        """Record a pair handed to a rater; returns its one-time token.

        With ``skip_open`` the session's pairs still open (neither voted on nor skipped) are marked
        skipped in the same transaction: the new pair replaces them on the rater's screen.
        """
        if mode not in study.modes:
            raise VoteRejected("mode", f"This study does not use the mode {mode!r}.")
        now = time.time() if now is None else now
        limit, window = self.rate_limit
        token = secrets.token_hex(16)
        with self.engine.begin() as conn:
            recent = conn.execute(
                select(func.count()).select_from(ShownRow)
                .where(ShownRow.session_id == session_id, ShownRow.issued > now - window)
            ).scalar_one()
            if recent >= 2 * limit:
                raise VoteRejected("rate_limited", "Too many pairs requested in a short time; wait a moment.")
            if study.pairs_per_rater:
                done = conn.execute(
                    select(func.count()).select_from(VoteRow)
                    .where(VoteRow.session_id == session_id, VoteRow.study_id == study.id)
                ).scalar_one()
                if done >= study.pairs_per_rater:
                    raise VoteRejected("quota", "You have rated every pair of this study. Thank you!")
            if skip_open:
                conn.execute(
                    update(ShownRow)
                    .where(ShownRow.session_id == session_id, ShownRow.voted.is_(None), ShownRow.skipped.is_(None))
                    .values(skipped=now)
                )
            conn.execute(ShownRow.__table__.insert().values(
                token=token, study_id=study.id, session_id=session_id, mode=mode, item_id=item_id,
                left_method=left_method, right_method=right_method, swapped=bool(swapped), issued=now, voted=None,
                skipped=None,
            ))
        return token

    def skip(self, token: str, session_id: str, *, now: float | None = None) -> bool:
        """Mark the open pair ``token`` skipped; False if it was skipped already.

        Raises :class:`VoteRejected` for an unknown token or another session's token ("unknown")
        and a pair already voted on ("replayed").
        """
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            row = conn.execute(select(ShownRow).where(ShownRow.token == (token or ""))).first()
            if row is None or row.session_id != session_id:
                raise VoteRejected("unknown", "This pair was not shown to you; ask for a new pair.")
            if row.voted is not None:
                raise VoteRejected("replayed", "Your vote on this pair was already counted.")
            claimed = conn.execute(
                update(ShownRow)
                .where(ShownRow.token == token, ShownRow.voted.is_(None), ShownRow.skipped.is_(None))
                .values(skipped=now)
            ).rowcount
        return claimed == 1

    def record_vote(self, token: str, session_id: str, choice: str, *, now: float | None = None) -> dict:
        """Count one vote for the shown pair ``token``; returns the stored vote as a dict.

        Raises :class:`VoteRejected` for an unknown token or another session's token ("unknown"),
        a pair already voted on ("replayed"), a pair skipped or replaced by a newer one ("skipped"),
        a choice the mode does not offer ("choice") and a session over its rate limit
        ("rate_limited"; the pair stays open).
        """
        now = time.time() if now is None else now
        limit, window = self.rate_limit
        with self.engine.begin() as conn:
            shown = conn.execute(
                select(ShownRow, StudyRow.code).join(StudyRow, StudyRow.id == ShownRow.study_id)
                .where(ShownRow.token == (token or ""))
            ).first()
            if shown is None or shown.session_id != session_id:
                raise VoteRejected("unknown", "This pair was not shown to you; ask for a new pair.")
            row, study_code = shown, shown.code
            if row.voted is not None:
                raise VoteRejected("replayed", "Your vote on this pair was already counted.")
            if row.skipped is not None:
                raise VoteRejected("skipped", "This pair was skipped for a newer one; vote on the pair on screen.")
            if choice not in CHOICES[row.mode]:
                raise VoteRejected("choice", f"{choice!r} is not a choice here; use one of {CHOICES[row.mode]}.")
            recent = conn.execute(
                select(func.count()).select_from(VoteRow)
                .where(VoteRow.session_id == session_id, VoteRow.created > now - window)
            ).scalar_one()
            if recent >= limit:
                raise VoteRejected("rate_limited", "Too many votes in a short time; slow down a little.")
            claimed = conn.execute(
                update(ShownRow)
                .where(ShownRow.token == token, ShownRow.voted.is_(None), ShownRow.skipped.is_(None))
                .values(voted=now)
            ).rowcount
            if claimed != 1:  # another transaction voted on it or skipped it between our read and our update
                raise VoteRejected("replayed", "Your vote on this pair was already counted, or the pair was skipped.")
            response_ms = max(0, int(round((now - row.issued) * 1000.0)))
            vote = dict(
                token=token, created=now, session_id=session_id, study_id=row.study_id, mode=row.mode,
                item_id=row.item_id, left_method=row.left_method, right_method=row.right_method,
                swapped=row.swapped, choice=choice, response_ms=response_ms,
                too_fast=response_ms < self.min_response_ms,
            )
            try:
                vote_id = conn.execute(VoteRow.__table__.insert().values(**vote)).inserted_primary_key[0]
            except IntegrityError as exc:  # the unique token: a last line of defence
                raise VoteRejected("replayed", "Your vote on this pair was already counted.") from exc
        vote.update(id=vote_id, study_code=study_code)
        return vote

    # ------------------------------------------------------------------ reading
    def issued_counts(self, study: StudyInfo, mode: str) -> dict[tuple[str, str, str], int]:
        """How often each ``(item_id, left, right)`` was issued in ``study``/``mode`` (for balancing)."""
        with self._read() as conn:
            rows = conn.execute(
                select(ShownRow.item_id, ShownRow.left_method, ShownRow.right_method, func.count())
                .where(ShownRow.study_id == study.id, ShownRow.mode == mode)
                .group_by(ShownRow.item_id, ShownRow.left_method, ShownRow.right_method)
            ).all()
        return {(r[0], r[1], r[2]): int(r[3]) for r in rows}

    def shown_outcomes(self, study: StudyInfo) -> list[dict]:
        """Per shown ``(mode, left_method, right_method)`` of a study: pairs ``voted``, ``skipped``, ``open``."""
        voted = func.sum(case((ShownRow.voted.is_not(None), 1), else_=0))
        skipped = func.sum(case((ShownRow.skipped.is_not(None), 1), else_=0))
        with self._read() as conn:
            rows = conn.execute(
                select(ShownRow.mode, ShownRow.left_method, ShownRow.right_method, voted, skipped, func.count())
                .where(ShownRow.study_id == study.id)
                .group_by(ShownRow.mode, ShownRow.left_method, ShownRow.right_method)
            ).all()
        return [
            {"mode": r[0], "left_method": r[1], "right_method": r[2], "voted": int(r[3] or 0),
             "skipped": int(r[4] or 0), "open": int(r[5]) - int(r[3] or 0) - int(r[4] or 0)}
            for r in rows
        ]

    def session_history(self, study: StudyInfo, session_id: str) -> tuple[set[tuple[str, str, str]], int]:
        """The ``(item_id, left, right)`` already shown to a session in a study, and its vote count."""
        with self._read() as conn:
            seen = conn.execute(
                select(ShownRow.item_id, ShownRow.left_method, ShownRow.right_method)
                .where(ShownRow.study_id == study.id, ShownRow.session_id == session_id)
            ).all()
            votes = conn.execute(
                select(func.count()).select_from(VoteRow)
                .where(VoteRow.study_id == study.id, VoteRow.session_id == session_id)
            ).scalar_one()
        return {(r[0], r[1], r[2]) for r in seen}, int(votes)

    def shown_pair(self, token: str, session_id: str) -> dict | None:
        """The pair behind a token, only for the session it was issued to."""
        with self._read() as conn:
            row = conn.execute(select(ShownRow).where(ShownRow.token == (token or ""))).first()
        if row is None or row.session_id != session_id:
            return None
        return {
            c: getattr(row, c)
            for c in ("token", "mode", "item_id", "left_method", "right_method", "issued", "voted", "skipped")
        }

    def votes(self, study: StudyInfo | None = None, *, include_too_fast: bool = True) -> list[dict]:
        """All votes (of one study, if given), oldest first, as dicts with :data:`VOTE_COLUMNS` and the token."""
        query = select(VoteRow, StudyRow.code).join(StudyRow, StudyRow.id == VoteRow.study_id).order_by(VoteRow.id)
        if study is not None:
            query = query.where(VoteRow.study_id == study.id)
        if not include_too_fast:
            query = query.where(VoteRow.too_fast.is_(False))
        with self._read() as conn:
            rows = conn.execute(query).all()
        out = []
        for row in rows:
            d = {c: getattr(row, c) for c in VOTE_COLUMNS if c != "study_code"}
            d["study_code"] = row.code
            d["swapped"], d["too_fast"] = bool(d["swapped"]), bool(d["too_fast"])
            out.append({**{c: d[c] for c in VOTE_COLUMNS}, "token": row.token})
        return out

    def count_votes(self, study: StudyInfo | None = None) -> int:
        query = select(func.count()).select_from(VoteRow)
        if study is not None:
            query = query.where(VoteRow.study_id == study.id)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def export_csv(self, study: StudyInfo | None = None) -> str:
        """Every vote (flagged ones included, with their flag) as CSV text."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(VOTE_COLUMNS), lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for vote in self.votes(study):
            vote = dict(vote)
            vote["created"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(vote["created"])) + (
                f"{vote['created'] % 1:.3f}"[1:] + "Z"
            )
            writer.writerow(vote)
        return buffer.getvalue()


def _study_info(s) -> StudyInfo:  # a Row of the studies table
    return StudyInfo(
        id=s.id, code=s.code, title=s.title, modes=tuple(m for m in s.modes.split(",") if m),
        methods=tuple(json.loads(s.methods or "[]")), items=tuple(json.loads(s.items or "[]")),
        pairs_per_rater=int(s.pairs_per_rater), exposure_s=float(s.exposure_s),
    )
