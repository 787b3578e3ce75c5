"""De-mosaicing as an application: find the mosaicked region (or take the one given), then restore it
with a registered de-mosaicing method (:mod:`inpaint_core.restoration`)."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from ..errors import InpaintInputError
from ..restoration import DEFAULT_METHODS, get_restoration, restore
from ..restoration.demosaic import Mosaic, _grid_offset, check_block, detect_mosaic
from .common import as_rgb8, quality

DEFAULT_METHOD = DEFAULT_METHODS["demosaic"]  # the shipped face model


@dataclasses.dataclass
class DemosaicResult:
    output: np.ndarray
    mosaic: Mosaic
    method: str
    detected: bool
    seconds: dict
    scores: dict | None = None

    def summary(self) -> dict:
        return {"application": "demosaic", "method": self.method, "detected": self.detected, **self.mosaic.summary(),
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
                **({"scores": self.scores} if self.scores else {})}


def find_grid(image: np.ndarray, block: int | None = None, mask: np.ndarray | None = None) -> tuple[Mosaic, bool]:
    """The mosaic to undo: detected where ``block`` or ``mask`` is missing; (mosaic, detected?)."""
    photo = as_rgb8(image)
    region = None if mask is None else np.asarray(mask, bool)
    if region is not None and region.shape != photo.shape[:2]:
        raise InpaintInputError(f"The mask is {region.shape[1]}x{region.shape[0]} but the photo is "
                                f"{photo.shape[1]}x{photo.shape[0]}; they must match.")
    if region is not None and not region.any():
        raise InpaintInputError("The mask is empty: mark the mosaicked region (nonzero pixels) or leave it out to detect it.")
    if block is not None:
        check_block(block)
    found = detect_mosaic(photo, blocks=[block] if block else range(2, 17))
    if block is not None and region is not None:
        offset = found.offset if found else _grid_offset(np.where(region[..., None], photo, 0), block, 2)
        return Mosaic(region, int(block), offset), False
    if found is None:
        if block is None:
            raise InpaintInputError("No mosaicked region found (no area of constant blocks): mark it and give its block size.")
        return Mosaic(np.ones(photo.shape[:2], bool) if region is None else region, int(block),
                      _grid_offset(photo, block, 2)), False
    if region is not None:
        return Mosaic(region, found.block, found.offset), True
    return found, True


def demosaic(image: np.ndarray, *, block: int | None = None, mask: np.ndarray | None = None,
             method: str = DEFAULT_METHOD, clean: np.ndarray | None = None, seed: int = 0) -> DemosaicResult:
    """Undo the mosaic of ``image`` with ``method``; scored against ``clean`` when it is known."""
    get_restoration(method, "demosaic")  # an unknown name fails before any work
    photo = as_rgb8(image)
    start = time.perf_counter()
    grid, detected = find_grid(photo, block, mask)
    seconds = {"detect": time.perf_counter() - start}
    start = time.perf_counter()
    output = restore(photo, method, region=grid.mask, block=grid, seed=seed)
    seconds["restore"] = time.perf_counter() - start
    result = DemosaicResult(output, grid, method, detected, seconds)
    if clean is not None:
        result.scores = quality(as_rgb8(clean), output, grid.mask)
    return result
