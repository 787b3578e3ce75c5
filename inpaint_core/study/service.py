"""The study's actions as plain Python (the Vote tab and scripts call these; no gradio here).

A rater asks for a pair (:meth:`StudyService.next_pair`), gets two images and a one-time token, and
votes with the token (:meth:`StudyService.vote`); only then are the methods revealed. Teachers create
classroom studies and read results with the key they got at creation.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from collections.abc import Sequence

import numpy as np

from .pairs import PHOTO, PairPool
from .results import StudyResults, summarise
from .store import MODES, PUBLIC_CODE, StudyInfo, VoteRejected, VoteStore

__all__ = ["StudyService", "Offer", "method_title"]

COUNTS_MAX_AGE_S = 5.0  # how stale the balancing counts may be (other processes' issues)


def method_title(name: str) -> str:
    """A method's display title from the registry, or its name for methods not registered here."""
    if name == PHOTO:
        return "the camera photo"
    try:
        from ..base import get_method

        return get_method(name).title or name
    except Exception:  # noqa: BLE001 - an unregistered or unloadable method still has a name
        return name


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
        title: str,
        modes: Sequence[str],
        methods: Sequence[str],
        items: Sequence[str],
        pairs_per_rater: int,
        exposure_s: float = 0.0,
    ) -> tuple[StudyInfo, str]:
        """Create a classroom study over cases and methods that exist; returns it and the teacher key."""
        known_methods = set(self.pool.methods())
        known_items = set(self.pool.cases())
        unknown = sorted(set(methods) - known_methods) + sorted(set(items) - known_items)
        if unknown:
            raise ValueError(f"Unknown methods or images: {', '.join(unknown)}.")
        modes = [m for m in MODES if m in set(modes)]
        if not modes:
            raise ValueError("Pick at least one mode for the study.")
        study = StudyInfo(0, "", title, tuple(modes), tuple(methods), tuple(items), int(pairs_per_rater), exposure_s)
        for mode in modes:
            if not self.pool.candidates(mode, methods=study.methods, items=study.items):
                need = "two methods" if mode == "duel" else "one method"
                raise ValueError(f"The chosen images and methods give no pair for {mode!r}; it needs {need} per image.")
        return self.store.create_study(
            title=title, modes=modes, methods=methods, items=items, pairs_per_rater=int(pairs_per_rater),
            exposure_s=float(exposure_s),
        )

    # ------------------------------------------------------------------ rating
    def next_pair(self, session_id: str, code: str | None, mode: str) -> Offer:
        """Sample, record and return the next pair for a rater (raises VoteRejected with a sentence)."""
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
            study, session_id, mode, pair.item_id, pair.left, pair.right, swapped=pair.swapped,
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

    def vote(self, session_id: str, token: str, choice: str) -> dict:
        """Record a vote; returns the stored vote plus ``reveal`` (a Markdown sentence) and ``correct``."""
        vote = self.store.record_vote(token, session_id, choice)
        left, right = vote["left_method"], vote["right_method"]
        if vote["mode"] == "real":
            real_side = "left" if left == PHOTO else "right"
            method = right if left == PHOTO else left
            vote["correct"] = choice == real_side
            vote["reveal"] = (
                f"**Previous pair:** the **{real_side}** image came from a camera; the **{'right' if real_side == 'left' else 'left'}** "
                f"one was filled by **{method_title(method)}** (`{method}`). "
                + ("You spotted it." if vote["correct"] else "It fooled you.")
            )
        else:
            vote["correct"] = None
            picked = {"left": "the left fill", "right": "the right fill", "tie": "a tie", "both_bad": "both bad"}
            vote["reveal"] = (
                f"**Previous pair:** left was **{method_title(left)}** (`{left}`), right was **{method_title(right)}** (`{right}`). "
                f"You chose {picked[choice]}."
            )
        if vote["too_fast"]:
            vote["reveal"] += (
                f" (That vote came {vote['response_ms']} ms after the pair appeared: it is kept but flagged as "
                "too fast and left out of the results.)"
            )
        return vote

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
        return study, summarise(votes, include_too_fast=include_too_fast, n_boot=n_boot, rng=np.random.default_rng(0))

    def export_csv(self, code: str | None, teacher_key: str | None = None) -> tuple[StudyInfo, str]:
        study = self._opened(code, teacher_key)
        return study, self.store.export_csv(study)
