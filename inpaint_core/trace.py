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
class MeldingLevel:
    """One pyramid level of image melding: the transform each patch touching the hole chose,
    as maps over the level (NaN / False where a centre's patch does not touch the hole)."""

    level: int  # 0 = full resolution
    angle: np.ndarray  # float32 (H, W), degrees
    scale: np.ndarray  # float32 (H, W)
    mirrored: np.ndarray  # bool (H, W)
    hole: np.ndarray

    @classmethod
    def from_field(cls, level: int, field: Any, hole: np.ndarray) -> "MeldingLevel":
        """From :mod:`inpaint_core.melding`'s field (target centres ``ty, tx``; ``th`` radians,
        ``ls`` log2 scale, ``fl`` mirror)."""
        angle = np.full(hole.shape, np.nan, np.float32)
        scale = np.full(hole.shape, np.nan, np.float32)
        mirrored = np.zeros(hole.shape, bool)
        angle[field.ty, field.tx] = np.degrees(field.th)
        scale[field.ty, field.tx] = np.exp2(field.ls)
        mirrored[field.ty, field.tx] = field.fl
        return cls(level, angle, scale, mirrored, hole.copy())


@dataclasses.dataclass
class PlanarRecord:
    """Huang et al.'s planar structure guidance, as detected on the crop."""

    segments: np.ndarray  # float (n, 4) x1, y1, x2, y2 of the line segments in the known region
    segment_vp: np.ndarray  # int (n,) vanishing point of each segment, -1 for none
    vanishing_points: np.ndarray  # float (k, 3) homogeneous image points
    planes: list[tuple[int, int]]  # the pair of vanishing points of each plane
    probability: np.ndarray  # float32 (M, H, W) posterior of each plane per pixel, the last = fronto-parallel
    translations: list[np.ndarray]  # per plane, (t, 2) dominant translations in its rectified frame
    hole: np.ndarray
    fallback: bool  # no plane found: the run was the translational completion


@dataclasses.dataclass
class Trace:
    """Filled in by one run: where its crop lies, and what the method recorded."""

    box: Box = (slice(None), slice(None))
    fill_order: FillOrder | None = None
    nnf_levels: list[NNFLevel] = dataclasses.field(default_factory=list)
    patch_offsets: dict[str, Any] | None = None  # He & Sun: offsets, labels, hole
    melding_levels: list[MeldingLevel] = dataclasses.field(default_factory=list)
    planar: PlanarRecord | None = None
    network: dict[str, np.ndarray] | None = None  # learned methods: network input, output, ...
