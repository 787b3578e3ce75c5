"""Step-through views for teaching, made from the real run of a method (never a toy).

Each function runs the registered method through :func:`inpaint_core.api.inpaint` with a
:class:`~inpaint_core.trace.Trace`, then turns what the method recorded (in the crop it ran on,
which the trace carries) into ``(caption, frame)`` pairs:
uint8 RGB frames of the input image's size, ready for a slider or an animation.

- :func:`criminisi_fill_order`: the fill front advancing, with the target patch chosen at
  each shown step (red) and the exemplar copied into it (green). The frames replay the
  recorded copy steps, so the last frame is exactly the method's output.
- :func:`patchmatch_nnf_views`: the PatchMatch nearest-neighbour field of each pyramid
  level of the Wexler-style completion, colour-coded (hue = offset direction,
  saturation = offset length).
"""

from __future__ import annotations

import cv2
import numpy as np

from .api import inpaint
from .imageio import to_working, validate_image
from .patchmatch import nnf_offsets, offsets_to_rgb
from .trace import Trace

HOLE_COLOUR = (255, 0, 255)  # magenta: not yet filled
FRONT_COLOUR = (255, 255, 0)  # yellow: the fill front
TARGET_COLOUR = (255, 40, 40)
SOURCE_COLOUR = (40, 255, 40)


def _run(image, mask, method: str, params, seed: int):
    """(image, hole, working image, trace, result) of one traced run."""
    trace = Trace()
    result = inpaint(image, mask, method, params, seed=seed, trace=trace)
    image = validate_image(image)
    return image, np.asarray(mask, bool), to_working(image), trace, result


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.round(img * 255.0), 0, 255).astype(np.uint8)


def _outline(frame: np.ndarray, y: int, x: int, half: int, colour) -> None:
    h, w = frame.shape[:2]
    cv2.rectangle(frame, (max(x - half - 1, 0), max(y - half - 1, 0)),
                  (min(x + half + 1, w - 1), min(y + half + 1, h - 1)), colour, 1)


def criminisi_fill_order(image, mask, params=None, seed: int = 0, frames: int = 12) -> list[tuple[str, np.ndarray]]:
    """Frames of Criminisi et al.'s fill order, from the real run.

    Returns ``frames`` (at least 2) ``(caption, uint8 RGB frame)`` pairs: the start (hole in
    magenta, front in yellow), evenly spaced steps with the chosen target patch outlined in
    red and its exemplar in green, and the final result.
    """
    image, hole, work, trace, result = _run(image, mask, "criminisi", params, seed)
    rec = trace.fill_order
    if rec is None:  # empty mask: nothing to show but the image
        return [("Nothing to fill: the mask is empty.", _to_uint8(work))]
    rows, cols = trace.box
    steps, half = rec.steps, rec.patch_size // 2
    crop, known = rec.image.copy(), ~rec.hole
    n = len(steps)
    hole_total = int(rec.hole.sum())
    shown = sorted(set(np.linspace(0, n, max(int(frames), 2)).round().astype(int).tolist()))
    oy, ox = rows.start or 0, cols.start or 0
    out: list[tuple[str, np.ndarray]] = []
    done = 0
    for idx in shown:
        for i in range(done, idx):  # replay the recorded copies up to this step
            ty, tx, sy, sx = (int(v) for v in steps[i])
            y0, y1 = max(ty - half, 0), min(ty + half + 1, crop.shape[0])
            x0, x1 = max(tx - half, 0), min(tx + half + 1, crop.shape[1])
            region = ~known[y0:y1, x0:x1]
            src = crop[sy - (ty - y0): sy + (y1 - ty), sx - (tx - x0): sx + (x1 - tx)]
            crop[y0:y1, x0:x1][region] = src[region]
            known[y0:y1, x0:x1] = True
        done = idx
        full = work.copy()
        full[rows, cols] = crop
        frame = _to_uint8(full)
        if idx == n:
            frame = _to_uint8(to_working(result))
            out.append((f"Result after {n} patches ({rec.patch_size}x{rec.patch_size}).", frame))
            continue
        unknown = np.zeros(hole.shape, bool)
        unknown[rows, cols] = ~known
        frame[unknown] = HOLE_COLOUR
        ring = unknown & cv2.dilate((~unknown).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        frame[ring] = FRONT_COLOUR
        filled_pct = 100.0 * (1.0 - (~known).sum() / max(hole_total, 1))
        if idx == 0:
            out.append(("Start: the hole (magenta) and its fill front (yellow).", frame))
            continue
        ty, tx, sy, sx = (int(v) for v in steps[idx - 1])
        _outline(frame, ty + oy, tx + ox, half, TARGET_COLOUR)
        _outline(frame, sy + oy, sx + ox, half, SOURCE_COLOUR)
        out.append((
            f"Step {idx}/{n}: highest-priority patch at (x={tx + ox}, y={ty + oy}) (red) filled from the best "
            f"match at (x={sx + ox}, y={sy + oy}) (green); {filled_pct:.0f}% of the hole filled.",
            frame,
        ))
    return out


def patchmatch_nnf_views(image, mask, params=None, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """Colour-coded nearest-neighbour fields of the PatchMatch completion, one per pyramid
    level (coarse to fine), then the result. Hue is the offset's direction, saturation its
    length; pixels whose patch does not touch the hole show the image in dim grey."""
    image, hole, work, trace, result = _run(image, mask, "patchmatch", params, seed)
    rows, cols = trace.box
    levels = trace.nnf_levels
    grey = cv2.cvtColor(_to_uint8(work), cv2.COLOR_RGB2GRAY)
    backdrop = np.repeat((grey // 3 + 20)[..., None], 3, axis=2)
    crop_h, crop_w = hole[rows, cols].shape
    out: list[tuple[str, np.ndarray]] = []
    for k, rec in enumerate(levels):
        offsets = nnf_offsets(rec.nnf)
        has = np.isfinite(offsets[..., 0])
        top = float(np.nanmax(np.hypot(offsets[..., 0], offsets[..., 1]))) if has.any() else 0.0
        colour = offsets_to_rgb(offsets, max_magnitude=top or 1.0)
        big = cv2.resize(colour, (crop_w, crop_h), interpolation=cv2.INTER_NEAREST)
        big_has = cv2.resize(has.astype(np.uint8), (crop_w, crop_h), interpolation=cv2.INTER_NEAREST).astype(bool)
        frame = backdrop.copy()
        region = frame[rows, cols]
        region[big_has] = big[big_has]
        h, w = rec.hole.shape
        scale = 2 ** rec.level
        out.append((
            f"Pyramid level {k + 1} of {len(levels)} ({w}x{h}, 1/{scale} scale): nearest-neighbour field of the "
            f"patches touching the hole; hue = direction of the offset to the matched patch, "
            f"saturation = its length (full at {top:.0f} px).",
            frame,
        ))
    out.append(("Result of the PatchMatch completion.", _to_uint8(to_working(result))))
    return out
