"""Pairs for the human-preference study, sampled from case folders so that every method gets votes evenly.

A *case* (see :mod:`inpaint_core.cases`) holds an intact photo and each method's completion of the
same hole. Two kinds of pair come out of it:

* mode ``"real"``: the photo (:data:`PHOTO`) against one method's completion;
* mode ``"duel"``: two methods' completions;
* mode ``"demosaic"``: the photo against one method's restoration of a mosaic, over the de-mosaicing
  cases only (``case.json`` ``"task": "demosaic"``), the survey's study of Dahl et al. 2017.

"real" and "duel" read the inpainting cases only.

Sampling is balanced like a round-robin: the method (for "real") or the pair of methods (for
"duel") issued least often so far goes next, then the least-issued case for it that this rater has
not seen yet; ties are broken at random and the two sides are shuffled.

Roots named in ``opt_in`` (the users' recent compares) contribute only the cases whose
``case.json`` says ``"offered_to_study": true`` (:data:`OFFERED_KEY`): a user's own upload enters
the study only when that user ticked the box that offers it.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..cases import Case, list_cases

__all__ = ["PHOTO", "PHOTO_MODES", "MODE_TASKS", "OFFERED_KEY", "PairPool", "Pair", "canonical"]

PHOTO = "__photo__"  # the intact photo, as a pseudo-method in "real" pairs
PHOTO_MODES = ("real", "demosaic")  # modes that pair the photo with one method's output
MODE_TASKS = {"real": "inpaint", "duel": "inpaint", "demosaic": "demosaic"}  # the cases each mode reads
OFFERED_KEY = "offered_to_study"  # case.json flag: the case's author offered it to the voting study


@dataclasses.dataclass(frozen=True)
class Pair:
    mode: str
    item_id: str  # "<source>/<case_id>"
    left: str
    right: str
    swapped: bool  # (left, right) is the reverse of canonical(...)


def canonical(mode: str, a: str, b: str) -> tuple[str, str]:
    """The order-free key of a pair: the photo first for "real" and "demosaic", alphabetical for "duel"."""
    if mode in PHOTO_MODES:
        return (PHOTO, b) if a == PHOTO else (PHOTO, a)
    return (a, b) if a <= b else (b, a)


class PairPool:
    """The cases under a few named roots (e.g. ``{"gallery": ..., "recent": ...}``), re-listed every ``ttl`` s.

    Cases under a root named in ``opt_in`` count only when their ``case.json`` has
    :data:`OFFERED_KEY` set to true.
    """

    def __init__(
        self, roots: Mapping[str, str | os.PathLike], *, opt_in: Sequence[str] = (), ttl: float = 5.0,
        image_cache: int = 64,
    ):
        self.roots = {name: Path(path) for name, path in roots.items()}
        self.opt_in = frozenset(opt_in)
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cases: dict[str, Case] = {}
        self._listed = -1e9
        self._images: OrderedDict[tuple[str, float], np.ndarray] = OrderedDict()
        self._image_cache = image_cache

    # ------------------------------------------------------------------ listing
    def cases(self) -> dict[str, Case]:
        """Case key -> case, for every case with at least one method output."""
        with self._lock:
            if time.monotonic() - self._listed > self.ttl:
                found = {}
                for source, root in self.roots.items():
                    for case in list_cases(root):
                        if source in self.opt_in and case.meta.get(OFFERED_KEY) is not True:
                            continue  # its author did not offer it to the study
                        if case.outputs:
                            found[f"{source}/{case.case_id}"] = case
                self._cases = found
                self._listed = time.monotonic()
            return self._cases

    def methods(self) -> list[str]:
        return sorted({m for case in self.cases().values() for m in case.outputs})

    def candidates(
        self, mode: str, *, methods: Sequence[str] = (), items: Sequence[str] = ()
    ) -> list[tuple[str, str, str]]:
        """Every ``(item_id, a, b)`` with ``(a, b)`` canonical, restricted to ``methods``/``items`` if given."""
        if mode not in MODE_TASKS:
            raise ValueError(f"Unknown study mode {mode!r}; use one of {', '.join(MODE_TASKS)}.")
        allowed_methods = set(methods)
        allowed_items = set(items)
        out = []
        for key, case in self.cases().items():
            if allowed_items and key not in allowed_items:
                continue
            if case.meta.get("task", "inpaint") != MODE_TASKS[mode]:
                continue
            names = sorted(m for m in case.outputs if not allowed_methods or m in allowed_methods)
            if mode in PHOTO_MODES:
                out.extend((key, PHOTO, m) for m in names)
            else:
                out.extend((key, a, b) for a, b in itertools.combinations(names, 2))
        return out

    # ------------------------------------------------------------------ sampling
    def sample(
        self,
        mode: str,
        rng: np.random.Generator,
        *,
        issued: Mapping[tuple[str, str, str], int] | None = None,
        seen: set[tuple[str, str, str]] | frozenset = frozenset(),
        methods: Sequence[str] = (),
        items: Sequence[str] = (),
    ) -> Pair | None:
        """The next pair to show, or None when there is nothing to compare.

        ``issued`` counts how often each ``(item_id, left, right)`` was handed out (any order);
        ``seen`` holds the ones this rater already got. The least-issued method (or method pair)
        goes first, then its least-issued case that the rater has not seen; a rater who has seen
        everything gets repeats.
        """
        pool = self.candidates(mode, methods=methods, items=items)
        if not pool:
            return None
        per_item: dict[tuple[str, str, str], int] = {}
        for (item, left, right), n in (issued or {}).items():
            key = (item, *canonical(mode, left, right))
            per_item[key] = per_item.get(key, 0) + n
        seen_keys = {(item, *canonical(mode, left, right)) for item, left, right in seen}
        fresh = [c for c in pool if c not in seen_keys] or pool
        per_group: dict[tuple[str, str], int] = {}
        for key, n in per_item.items():
            per_group[key[1:]] = per_group.get(key[1:], 0) + n
        groups = sorted({c[1:] for c in fresh})
        group_counts = np.array([per_group.get(g, 0) for g in groups])
        least = [g for g, n in zip(groups, group_counts) if n == group_counts.min()]
        group = least[rng.integers(len(least))]
        options = [c for c in fresh if c[1:] == group]
        counts = np.array([per_item.get(c, 0) for c in options])
        best = [c for c, n in zip(options, counts) if n == counts.min()]
        item, a, b = best[rng.integers(len(best))]
        if rng.random() < 0.5:
            return Pair(mode, item, a, b, swapped=False)
        return Pair(mode, item, b, a, swapped=True)

    # ------------------------------------------------------------------ images
    def image(self, item_id: str, method: str) -> np.ndarray:
        """The uint8 RGB image of ``method`` (or :data:`PHOTO`) in case ``item_id`` (small LRU cache)."""
        case = self.cases().get(item_id)
        if case is None:
            raise KeyError(f"No case {item_id!r} in the study's folders.")
        path = case.original_path if method == PHOTO else case.outputs.get(method)
        if path is None:
            raise KeyError(f"Case {item_id!r} has no result for {method!r}.")
        key = (str(path), path.stat().st_mtime, case.original_path.stat().st_mtime)
        with self._lock:
            if key in self._images:
                self._images.move_to_end(key)
                return self._images[key]
        # the original's known pixels with the method's fill in the hole (see inpaint_core.cases)
        image = case.image("original" if method == PHOTO else method)
        image.setflags(write=False)
        with self._lock:
            self._images[key] = image
            while len(self._images) > self._image_cache:
                self._images.popitem(last=False)
        return image

    def thumbnail(self, item_id: str, method: str, max_side: int = 256) -> np.ndarray:
        """A smaller copy for the results page (nearest-neighbour striding keeps it dependency-free)."""
        image = self.image(item_id, method)
        step = max(1, int(np.ceil(max(image.shape[:2]) / max_side)))
        return np.ascontiguousarray(image[::step, ::step])
