"""What a run records for the teaching views, with the crop it ran on.

A caller that wants step-through views passes a :class:`Trace` to
:func:`inpaint_core.api.inpaint`; the runner stores the crop (:attr:`Trace.box`, image
coordinates) before calling the method, and the method records its own steps, in crop
coordinates, in the field for its family. The teaching views
(:mod:`inpaint_core.teaching`) read both and never redo the crop.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .geometry import Box


@dataclasses.dataclass
class FillOrder:
    """Criminisi et al.'s run: each copy step as (target y, x, source y, x) in the crop."""

    steps: np.ndarray  # (n, 4) int
    patch_size: int
    image: np.ndarray  # the crop as the method saw it (hole set to 0), float RGB
    hole: np.ndarray  # the crop's hole


@dataclasses.dataclass
class NNFLevel:
    """One pyramid level of the PatchMatch completion: its nearest-neighbour field."""

    level: int  # 0 = full resolution
    nnf: np.ndarray
    hole: np.ndarray


@dataclasses.dataclass
class Trace:
    """Filled in by one run: where its crop lies, and what the method recorded."""

    box: Box = (slice(None), slice(None))
    fill_order: FillOrder | None = None
    nnf_levels: list[NNFLevel] = dataclasses.field(default_factory=list)
    patch_offsets: dict[str, Any] | None = None  # He & Sun: offsets, labels, hole
    network: dict[str, np.ndarray] | None = None  # learned methods: network input, output, ...
