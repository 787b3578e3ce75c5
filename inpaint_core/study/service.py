"""The study's actions as plain Python (the Vote tab and scripts call these; no gradio here).

A rater asks for a pair (:meth:`StudyService.next_pair`), gets two images and a one-time token, and
votes with the token (:meth:`StudyService.vote`); only then are the methods revealed. Asking for a
new pair skips the rater's open one (recorded, and reported as a skip rate beside the results), as
does :meth:`StudyService.skip`. Teachers create classroom studies and read results with the key they
got at creation.

Everything here returns data (dataclasses, dicts, plain strings, CSV text), never Markdown: the reveal after a
vote is a :class:`Reveal`, the results page a :class:`ResultsView` of display rows and chart data;
the Vote tab turns them into Markdown, tables and figures. User mistakes raise ``ValueError``
(:class:`~inpaint_core.study.store.VoteRejected` is one) with one sentence.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..registry import find_any_method
from .pairs import PHOTO, PHOTO_MODES, PairPool
from .results import (
    ChartData, StudyResults, bt_chart, bt_display, fooled_chart, fooled_display, pairs_display, results_csv, summarise,
)
from .store import MODES, PUBLIC_CODE, StudyInfo, VoteRejected, VoteStore

__all__ = ["StudyService", "Offer", "Reveal", "VoteReceipt", "ResultsView", "method_title"]

COUNTS_MAX_AGE_S = 5.0  # how stale the balancing counts may be (other processes' issues)


def method_title(name: str) -> str:
    """A method's display title from the registry, or its name for methods not registered here."""
    if name == PHOTO:
        return "the camera photo"
    method = find_any_method(name)
    return method.title if method is not None else name


@dataclasses.dataclass
class Offer:
    """A pair handed to a rater. Carries no method names: those stay in the database until the vote."""

    token: str
    mode: str
    study_code: str
    left: np.ndarray
    right: np.ndarray
    exposure_s: float
    done: int  # votes this rater already gave in the study
    quota: int  # pairs per rater; 0 = unlimited


@dataclasses.dataclass(frozen=True)
class Reveal:
    """What a rater learns after voting: the methods behind the pair and how the vote went."""

    mode: str  # "real" or "duel"
    choice: str  # "left", "right", "tie" or "both_bad"
    left: str  # method names (PHOTO for the camera photo)
    right: str
    left_title: str
    right_title: str
    real_side: str | None  # "real": the side of the camera photo; None in duels
    correct: bool | None  # "real": whether the rater picked the photo; None in duels
    too_fast: bool  # kept but flagged, and left out of the results by default
    response_ms: int

    @property
    def filled(self) -> str | None:
        """The method of a "real" pair (the side that is not the photo); None in duels."""
        if self.real_side is None:
            return None
        return self.right if self.real_side == "left" else self.left

    @property
    def filled_title(self) -> str | None:
        if self.real_side is None:
            return None
        return self.right_title if self.real_side == "left" else self.left_title

    @classmethod
    def of(cls, vote: dict) -> "Reveal":
        """The reveal of a stored vote (a row of :meth:`VoteStore.record_vote`)."""
        left, right, choice = vote["left_method"], vote["right_method"], vote["choice"]
        real_side = ("left" if left == PHOTO else "right") if vote["mode"] in PHOTO_MODES else None
        return cls(
            mode=vote["mode"], choice=choice, left=left, right=right, left_title=method_title(left),
            right_title=method_title(right), real_side=real_side,
            correct=None if real_side is None else choice == real_side,
            too_fast=bool(vote["too_fast"]), response_ms=int(vote["response_ms"]),
        )


#: the fields of a vote a rater may see once it is cast (no session id, no token)
PUBLIC_VOTE_FIELDS = ("id", "mode", "item_id", "left_method", "right_method", "choice", "response_ms", "too_fast")


@dataclasses.dataclass(frozen=True)
class VoteReceipt:
    """A recorded vote: the stored row and its reveal."""

    vote: dict
    reveal: Reveal

    def public(self) -> dict:
        """The vote as a rater's script may see it: :data:`PUBLIC_VOTE_FIELDS` and ``correct``."""
        return {**{k: self.vote[k] for k in PUBLIC_VOTE_FIELDS}, "correct": self.reveal.correct}


@dataclasses.dataclass
class ResultsView:
    """Everything a study's results page shows, as data: display rows, chart series, images."""

    study: StudyInfo
    results: StudyResults
    include_too_fast: bool
    fooled: list[dict]  # rows keyed by results.FOOLED_COLUMNS
    bradley_terry: list[dict]  # rows keyed by results.BT_COLUMNS
    pairs: list[dict]  # rows keyed by results.PAIR_COLUMNS
    fooled_chart: ChartData  # percent
    bt_chart: ChartData  # log-strength
    extremes: list[tuple[np.ndarray, str]]  # best and worst image per method, with a caption
    demosaiced: list[dict] = dataclasses.field(default_factory=list)  # "Real or de-mosaiced?", FOOLED_COLUMNS
    demosaic_chart: ChartData | None = None
    demosaic_extremes: list[tuple[np.ndarray, str]] = dataclasses.field(default_factory=list)


EXPORT_KINDS = ("votes", "results")


class StudyService:
    def __init__(self, store: VoteStore, pool: PairPool, *, seed: int | None = None):
        self.store = store
        self.pool = pool
        self._seed = seed
        self._draws = 0
        # issue counts per (study, mode) for balancing, re-read from the database every few seconds
        # and kept current in between from this process's own issues (one GROUP BY over every shown
        # pair per request would grow with the table)
        self._counts: dict[tuple[int, str], tuple[float, dict]] = {}
        self._counts_lock = threading.Lock()

    def _rng(self) -> np.random.Generator:
        if self._seed is None:
            return np.random.default_rng(secrets.randbits(64))
        self._draws += 1
        return np.random.default_rng([self._seed, self._draws])

    # ------------------------------------------------------------------ studies
    def study(self, code: str | None) -> StudyInfo:
        info = self.store.get_study(code or PUBLIC_CODE)
        if info is None:
            raise VoteRejected("study", f"No study has the code {(code or '').strip().upper()!r}; check it with your teacher.")
        return info

    def create_study(
        self,
        *,
        title: str | None,
        modes: Sequence[str] | None,
        methods: Sequence[str] | None,
        items: Sequence[str] | None,
        pairs_per_rater: float | None,
        exposure_s: float | None = 0.0,
    ) -> tuple[StudyInfo, str]:
        """Create a classroom study over cases and methods that exist; returns it and the teacher key.

        Raises ``ValueError`` with one sentence when nothing is picked, a method or image is unknown,
        a count is negative, or a mode would have no pair.
        """
        if not methods or not items:
            raise ValueError("Open the list and pick at least one method and one image for the study.")
        pairs_per_rater, exposure_s = int(pairs_per_rater or 0), float(exposure_s or 0)
        if pairs_per_rater < 0 or exposure_s < 0:
            raise ValueError("Pairs per rater and the exposure limit cannot be negative (0 = no limit).")
        known_methods = set(self.pool.methods())
        known_items = set(self.pool.cases())
        unknown = sorted(set(methods) - known_methods) + sorted(set(items) - known_items)
        if unknown:
            raise ValueError(f"Unknown methods or images: {', '.join(unknown)}.")
        modes = [m for m in MODES if m in set(modes or ())]
        if not modes:
            raise ValueError("Pick at least one mode for the study.")
        study = StudyInfo(0, "", title or "", tuple(modes), tuple(methods), tuple(items), pairs_per_rater, exposure_s)
        for mode in modes:
            if not self.pool.candidates(mode, methods=study.methods, items=study.items):
                need = {"duel": "two methods per image", "real": "one method per image",
                        "demosaic": "a de-mosaicing image and one de-mosaicing method"}[mode]
                raise ValueError(f"The chosen images and methods give no pair for {mode!r}; it needs {need}.")
        return self.store.create_study(
            title=title or "", modes=modes, methods=methods, items=items, pairs_per_rater=pairs_per_rater,
            exposure_s=exposure_s,
        )

    def study_options(self) -> tuple[list[str], list[str]]:
        """The methods and the images (case ids, sorted) a teacher may pick for a study."""
        return self.pool.methods(), sorted(self.pool.cases())

    # ------------------------------------------------------------------ rating
    def next_pair(self, session_id: str, code: str | None, mode: str) -> Offer:
        """Sample, record and return the next pair for a rater (raises VoteRejected with a sentence).

        The rater's pairs still open (shown, not voted on) are recorded as skipped: the new pair
        replaces them on screen.
        """
        study = self.study(code)
        if mode not in study.modes:
            raise VoteRejected("mode", f"Study {study.code} runs only {' and '.join(study.modes)} pairs.")
        seen, done = self.store.session_history(study, session_id)
        if study.pairs_per_rater and done >= study.pairs_per_rater:
            raise VoteRejected("quota", "You have rated every pair of this study. Thank you!")
        pair = self.pool.sample(
            mode, self._rng(), issued=self._issued_counts(study, mode), seen=seen,
            methods=study.methods, items=study.items,
        )
        if pair is None:
            need = "results from two methods on the same image" if mode == "duel" else "at least one result"
            raise VoteRejected("empty", f"There is nothing to vote on yet: the study needs {need}.")
        left = self.pool.image(pair.item_id, pair.left)
        right = self.pool.image(pair.item_id, pair.right)
        token = self.store.issue(
            study, session_id, mode, pair.item_id, pair.left, pair.right, swapped=pair.swapped, skip_open=True,
        )
        with self._counts_lock:
            counts = self._counts.get((study.id, mode), (0.0, {}))[1]
            key = (pair.item_id, pair.left, pair.right)
            counts[key] = counts.get(key, 0) + 1
        return Offer(token, mode, study.code, left, right, study.exposure_s, done, study.pairs_per_rater)

    def _issued_counts(self, study: StudyInfo, mode: str, max_age_s: float = COUNTS_MAX_AGE_S) -> dict:
        with self._counts_lock:
            cached = self._counts.get((study.id, mode))
        if cached is not None and time.monotonic() - cached[0] < max_age_s:
            return dict(cached[1])
        counts = self.store.issued_counts(study, mode)
        with self._counts_lock:
            self._counts[(study.id, mode)] = (time.monotonic(), counts)
        return dict(counts)

    def vote(self, session_id: str, token: str, choice: str) -> VoteReceipt:
        """Record a vote (raises VoteRejected with a sentence); returns the stored vote and its reveal."""
        vote = self.store.record_vote(token, session_id, choice)
        return VoteReceipt(vote, Reveal.of(vote))

    def skip(self, session_id: str, token: str) -> bool:
        """Record that the rater skipped the pair ``token`` without voting; False if already skipped."""
        return self.store.skip(token, session_id)

    # ------------------------------------------------------------------ results
    def _opened(self, code: str | None, teacher_key: str | None) -> StudyInfo:
        study = self.study(code)
        if not self.store.check_teacher(study.code, teacher_key or ""):
            raise VoteRejected("teacher", f"The teacher key does not open study {study.code}.")
        return study

    def results(
        self, code: str | None, teacher_key: str | None = None, *, include_too_fast: bool = False, n_boot: int = 300,
    ) -> tuple[StudyInfo, StudyResults]:
        study = self._opened(code, teacher_key)
        votes = self.store.votes(study)
        outcomes = self.store.shown_outcomes(study)
        return study, summarise(
            votes, outcomes=outcomes, include_too_fast=include_too_fast, n_boot=n_boot, rng=np.random.default_rng(0),
        )

    def results_csv(
        self, code: str | None, teacher_key: str | None = None, *, include_too_fast: bool = False,
    ) -> tuple[StudyInfo, str]:
        """The result tables (intervals with their raters and images, skip rates) as CSV text."""
        study, results = self.results(code, teacher_key, include_too_fast=include_too_fast)
        return study, results_csv(results)

    def export_csv(self, code: str | None, teacher_key: str | None = None) -> tuple[StudyInfo, str]:
        study = self._opened(code, teacher_key)
        return study, self.store.export_csv(study)

    def results_view(
        self, code: str | None, teacher_key: str | None = None, *, include_too_fast: bool = False,
    ) -> ResultsView:
        """The results page of a study as data: display tables, chart series, best and worst images."""
        include_too_fast = bool(include_too_fast)
        study, results = self.results(code, teacher_key, include_too_fast=include_too_fast)
        return ResultsView(
            study=study, results=results, include_too_fast=include_too_fast,
            fooled=fooled_display(results, method_title), bradley_terry=bt_display(results, method_title),
            pairs=pairs_display(results), fooled_chart=fooled_chart(results), bt_chart=bt_chart(results),
            extremes=self.extremes(results), demosaiced=fooled_display(results, method_title, mode="demosaic"),
            demosaic_chart=fooled_chart(results, mode="demosaic"),
            demosaic_extremes=self.extremes(results, mode="demosaic"),
        )

    def extremes(self, results: StudyResults, mode: str = "real") -> list[tuple[np.ndarray, str]]:
        """Each method's best and worst rated image (a thumbnail) with a caption, by method name, for
        the photo-against-method votes of ``mode`` ("real" or "demosaic").

        An image whose case folder was removed since the vote is left out.
        """
        items = []
        picked = results.demosaic_best_worst if mode == "demosaic" else results.best_worst
        for method, picks in sorted(picked.items()):
            for which in ("best", "worst"):
                item, k, n = picks[which]
                try:
                    thumb = self.pool.thumbnail(item, method)
                except (KeyError, OSError):
                    continue
                items.append((thumb, f"{method} · {which} · {item.split('/', 1)[-1]} · {k}/{n} = {100 * k / n:.0f} %"))
        return items

    def write_export(
        self, kind: str, folder: str | os.PathLike, code: str | None, teacher_key: str | None = None, *,
        include_too_fast: bool = False,
    ) -> Path:
        """Write a CSV export into ``folder`` under a fresh name and return its path.

        ``kind`` "votes": every vote of the study (flagged ones included, with the flag);
        "results": the result tables (:meth:`results_csv`).
        """
        if kind == "votes":
            study, text = self.export_csv(code, teacher_key)
        elif kind == "results":
            study, text = self.results_csv(code, teacher_key, include_too_fast=bool(include_too_fast))
        else:
            raise ValueError(f"Unknown export {kind!r}; use one of {', '.join(EXPORT_KINDS)}.")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{kind}-{study.code}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}.csv"
        path.write_text(text)
        return path
