"""Object removal with structure guides, as the survey's last slides show it.

The user brushes the object (``mask``) and draws guide curves across it where contours must go on
(``guides``: a drawing, nonzero = on a curve; or ``"auto"``: curves proposed by linking the edges
that enter and leave the hole, :func:`inpaint_core.structure.propose_guides`). The mask can be grown
first, for shadows and halos. The curves are filled first by structure propagation (Sun, Yuan, Jia
and Shum 2005, https://doi.org/10.1145/1073204.1073274), then the rest of the hole by the chosen
method with that structure fixed (:func:`remove_object`).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from ..errors import InpaintInputError
from ..masks import hole_percent
from ..structure import Guide, curves_from_mask, draw_guides, propagate_structure, propose_guides
from .common import as_rgb8, dilate, fill, quality

DEFAULT_METHOD = "patchmatch"  # robust with a fixed structure; Criminisi's greedy order can grow garbage from it
MAX_GROW = 50
PROPOSAL_WIDTH = 3  # px: how a proposed guide is drawn for the user to see and erase


@dataclasses.dataclass
class RemoveResult:
    """What object removal did: the output, the mask it filled, the guides and the structure."""

    output: np.ndarray
    mask: np.ndarray
    guides: list[Guide]
    structure: np.ndarray  # pixels filled by structure propagation
    method: str
    seconds: dict
    skipped: int = 0
    scores: dict | None = None

    def summary(self) -> dict:
        return {
            "application": "remove", "method": self.method, "hole_percent": round(hole_percent(self.mask), 3),
            "guides": len(self.guides), "guide_sources": sorted({g.source for g in self.guides}),
            "guides_skipped": self.skipped, "structure_px": int(self.structure.sum()),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            **({"scores": self.scores} if self.scores else {}),
        }


def check_mask(mask, shape, what: str = "The object mask") -> np.ndarray:
    """``mask`` as bool of ``shape``, or one sentence on what is wrong."""
    from ..imageio import mask_from_array

    arr = mask_from_array(np.asarray(mask))
    if arr.shape != tuple(shape):
        raise InpaintInputError(f"{what} is {arr.shape[1]}x{arr.shape[0]} but the photo is {shape[1]}x{shape[0]}; "
                                "they must match.")
    return arr


def grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """The mask grown by ``pixels`` (a disk): shadows and halos around an object go with it."""
    if isinstance(pixels, bool) or not isinstance(pixels, (int, np.integer)) or not 0 <= pixels <= MAX_GROW:
        raise InpaintInputError(f"Grow the mask by 0 to {MAX_GROW} px (a whole number), not {pixels!r}.")
    return dilate(mask, int(pixels))


def resolve_guides(image: np.ndarray, mask: np.ndarray, guides) -> list[Guide]:
    """``None`` or an empty drawing: no guides; ``"auto"``: proposed ones; a drawing: its curves."""
    if guides is None:
        return []
    if isinstance(guides, str):
        if guides != "auto":
            raise InpaintInputError(f"Guides are a drawing (nonzero = curve) or 'auto', not {guides!r}.")
        return propose_guides(image.astype(np.float32) / 255.0, mask)
    if isinstance(guides, list):
        return guides
    drawing = check_mask(guides, mask.shape, "The guide drawing")
    return curves_from_mask(drawing)


def drawn_and_proposed(drawing, proposed, shape, width: int = PROPOSAL_WIDTH) -> list[Guide]:
    """The guides of a drawing that may hold proposed guides (drawn ``width`` px wide): a proposal
    whose pixels are still (mostly) drawn is kept as proposed; what else is drawn becomes user curves."""
    drawing = np.zeros(shape, bool) if drawing is None else check_mask(drawing, shape, "The guide drawing")
    kept, covered = [], np.zeros(shape, bool)
    for guide in proposed or []:
        pixels = draw_guides([guide], shape, width)
        covered |= dilate(pixels, 2)
        if (drawing & pixels).sum() >= 0.8 * pixels.sum():
            kept.append(guide)
    return kept + curves_from_mask(drawing & ~covered)


def remove_object(image: np.ndarray, mask, *, guides=None, method: str = DEFAULT_METHOD, grow_px: int = 0,
                  patch: int = 9, clean: np.ndarray | None = None, seed: int = 0) -> RemoveResult:
    """Remove the masked object: grow the mask, propagate structure along the guides, fill the rest
    with ``method``; scored against ``clean`` when it is known."""
    from ..registry import get_method

    get_method(method)  # an unknown name fails before any work
    photo = as_rgb8(image)
    hole = grow(check_mask(mask, photo.shape[:2]), grow_px)
    if not hole.any():
        raise InpaintInputError("The object mask is empty: brush over the object to remove first.")
    if hole.all():
        raise InpaintInputError("The object mask covers the whole photo; leave some pixels to fill from.")
    seconds = {}
    start = time.perf_counter()
    curves = resolve_guides(photo, hole, guides)
    seconds["guides"] = time.perf_counter() - start
    start = time.perf_counter()
    done = propagate_structure(photo.astype(np.float32) / 255.0, hole, curves, patch=patch)
    structured = as_rgb8(np.clip(np.rint(done.image * 255), 0, 255).astype(np.uint8))
    structured[~hole] = photo[~hole]  # bit-identical known pixels, whatever the float round trip did
    seconds["structure"] = time.perf_counter() - start
    start = time.perf_counter()
    rest = hole & ~done.filled
    output = fill(structured, rest, method, seed=seed) if rest.any() else structured
    seconds["fill"] = time.perf_counter() - start
    result = RemoveResult(output, hole, curves, done.filled, method, seconds, done.skipped)
    if clean is not None:
        result.scores = quality(as_rgb8(clean), output, hole)
    return result


def guides_image(shape, guides: list[Guide]) -> np.ndarray:
    """The guides drawn 1 px wide as a uint8 mask (255 = on a guide)."""
    return draw_guides(guides, shape).astype(np.uint8) * 255


def place_object(clean: np.ndarray, seed: int = 0, centre: tuple[float, float] | None = None,
                 size: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An example for object removal: a ball with a soft shadow drawn over ``clean`` (seeded place,
    size and colour; ``centre`` as fractions of (height, width) fixes the place, ``size`` the radius as a
    fraction of the short side). Returns (photo with the object, the object's footprint, footprint + shadow):
    the footprint is what a user brushes, the shadow is what growing the mask must catch."""
    import cv2

    photo = as_rgb8(clean)
    h, w = photo.shape[:2]
    rng = np.random.default_rng(seed)
    radius = max(4, int(round(min(h, w) * (rng.uniform(0.12, 0.18) if size is None else size))))
    where = rng.uniform(0.4, 0.6, 2) if centre is None else np.asarray(centre, float)
    cy, cx = (int(round(v * s)) for v, s in zip(where, (h, w)))
    footprint = np.zeros((h, w), np.uint8)
    cv2.circle(footprint, (cx, cy), radius, 1, -1)
    shadow = cv2.GaussianBlur(dilate(footprint > 0, max(2, radius // 12)).astype(np.float32), (0, 0), max(1.0, radius / 20))
    out = photo.astype(np.float32) * (1 - 0.45 * shadow[..., None])
    colour = rng.uniform(40, 230, 3)
    shade = 0.55 + 0.45 * np.clip(1 - (np.hypot(*np.mgrid[0:h, 0:w] - np.array([cy - radius / 3, cx - radius / 3])[:, None, None])
                                      / (1.6 * radius)), 0, 1)
    ball = footprint > 0
    out[ball] = (colour[None] * shade[ball][:, None])
    touched = ball | (shadow > 0.02)  # the shadow darkens these by more than 2 levels
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), ball, touched
