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
- :func:`planar_views`: Huang et al.'s planar guidance: the line segments coloured by
  vanishing point, then each plane's posterior probability per pixel.
- :func:`melding_views`: image melding's chosen transforms: each patch's rotation (hue)
  with glyphs drawn at its rotation and scale, and the scale map.
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


VP_COLOURS = ((255, 60, 60), (60, 220, 60), (70, 130, 255), (255, 200, 0), (220, 80, 255))
UNASSIGNED_COLOUR = (160, 160, 160)


def _backdrop(work: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(_to_uint8(work), cv2.COLOR_RGB2GRAY)
    return np.repeat((grey // 3 + 20)[..., None], 3, axis=2)


def _heat(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] as uint8 RGB (OpenCV's turbo colour map: blue low, red high)."""
    grey = np.clip(np.round(np.nan_to_num(values) * 255.0), 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(grey, cv2.COLORMAP_TURBO), cv2.COLOR_BGR2RGB)


def planar_views(image, mask, params=None, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """Huang et al.'s planar structure guidance, from the real run: the detected line segments
    coloured by vanishing point (grey: none), then one frame per plane with its posterior
    probability per pixel (turbo colour map over the crop the method ran on; the last plane is
    the fronto-parallel one), then the result."""
    image, hole, work, trace, result = _run(image, mask, "planar", params, seed)
    rec = trace.planar
    if rec is None:
        return [("Nothing to fill: the mask is empty.", _to_uint8(work))]
    rows, cols = trace.box
    oy, ox = rows.start or 0, cols.start or 0
    base = _backdrop(work)
    frame = base.copy()
    frame[hole] = HOLE_COLOUR
    for (x1, y1, x2, y2), k in zip(rec.segments, rec.segment_vp):
        colour = VP_COLOURS[k % len(VP_COLOURS)] if k >= 0 else UNASSIGNED_COLOUR
        cv2.line(frame, (int(round(x1)) + ox, int(round(y1)) + oy), (int(round(x2)) + ox, int(round(y2)) + oy),
                 colour, 1, cv2.LINE_8)
    n_vp = len(rec.vanishing_points)
    assigned = int((rec.segment_vp >= 0).sum())
    out = [(
        f"{len(rec.segments)} line segments of the known region; {assigned} point at one of {n_vp} vanishing "
        f"point(s) (one colour each: red, green, blue, ...), grey ones at none. Hole in magenta.",
        frame,
    )]
    names = [f"vanishing points {i + 1} and {j + 1}" for i, j in rec.planes] + ["fronto-parallel (no perspective)"]
    for m, prob in enumerate(rec.probability):
        frame = base.copy()
        region = frame[rows, cols]
        heat = _heat(prob)
        region[...] = (0.35 * region + 0.65 * heat).astype(np.uint8)
        crop_hole = hole[rows, cols]
        region[crop_hole] = heat[crop_hole]
        trans = rec.translations[m] if m < len(rec.translations) else np.zeros((0, 2))
        shifts = ", ".join(f"({t[0]:.0f}, {t[1]:.0f})" for t in trans[:4]) or "none found"
        out.append((
            f"Plane {m + 1} of {len(rec.probability)}, {names[m] if m < len(names) else ''}: posterior probability "
            f"per pixel (blue 0, red 1), diffused into the hole; mean {100 * float(prob[crop_hole].mean()):.0f}% "
            f"in the hole. Dominant translations in its rectified frame: {shifts}.",
            frame,
        ))
    tail = ("No plane was found, so the run was the translational PatchMatch completion."
            if rec.fallback else "Result of the completion with planar guidance.")
    out.append((tail, _to_uint8(to_working(result))))
    return out


def _rotation_rgb(angle: np.ndarray, mirrored: np.ndarray) -> np.ndarray:
    """Hue = rotation (a full turn around the colour circle), mirrored patches darker."""
    has = np.isfinite(angle)
    hsv = np.zeros(angle.shape + (3,), np.uint8)
    hsv[..., 0] = np.round((np.nan_to_num(angle) % 360.0) / 2.0).astype(np.uint8) % 180
    hsv[..., 1] = 255
    hsv[..., 2] = np.where(mirrored, 150, 255).astype(np.uint8)
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    rgb[~has] = 0
    return rgb


def _glyphs(frame: np.ndarray, rec, oy: int, ox: int, factor: float, spacing: int = 14) -> None:
    """A square per patch on a grid over the hole, drawn at its chosen rotation and scale (the
    tick marks the patch's x axis; mirrored patches get the tick on the other side)."""
    ys, xs = np.nonzero(rec.hole)
    if ys.size == 0:
        return
    for y in range(int(ys.min()), int(ys.max()) + 1, spacing):
        for x in range(int(xs.min()), int(xs.max()) + 1, spacing):
            if not rec.hole[y, x] or not np.isfinite(rec.angle[y, x]):
                continue
            cy, cx = (y + 0.5) * factor + oy, (x + 0.5) * factor + ox
            side = 0.45 * spacing * factor * float(rec.scale[y, x])
            th = np.radians(float(rec.angle[y, x]))
            c, s = np.cos(th), np.sin(th)
            f = -1.0 if rec.mirrored[y, x] else 1.0
            corners = [(cx + side * (c * f * u - s * v), cy + side * (s * f * u + c * v))
                       for u, v in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
            pts = np.round(np.array(corners)).astype(np.int32)
            cv2.polylines(frame, [pts], True, (255, 255, 255), 1, cv2.LINE_AA)
            tip = (int(round(cx + 1.6 * side * c * f)), int(round(cy + 1.6 * side * s * f)))
            cv2.line(frame, (int(round(cx)), int(round(cy))), tip, (0, 0, 0), 1, cv2.LINE_AA)


def melding_views(image, mask, params=None, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """Image melding's transforms, from the real run: for each pyramid level (coarse to fine)
    the rotation each patch touching the hole chose (hue; mirrored patches darker), with, at
    full resolution, a square per patch on a grid drawn at its rotation and scale; then the
    scale map and the result."""
    image, hole, work, trace, result = _run(image, mask, "melding", params, seed)
    levels = trace.melding_levels
    if not levels:
        return [("Nothing to fill: the mask is empty.", _to_uint8(work))]
    rows, cols = trace.box
    oy, ox = rows.start or 0, cols.start or 0
    base = _backdrop(work)
    crop_h, crop_w = hole[rows, cols].shape
    out: list[tuple[str, np.ndarray]] = []

    def paste(colour: np.ndarray, has: np.ndarray) -> np.ndarray:
        big = cv2.resize(colour, (crop_w, crop_h), interpolation=cv2.INTER_NEAREST)
        big_has = cv2.resize(has.astype(np.uint8), (crop_w, crop_h), interpolation=cv2.INTER_NEAREST).astype(bool)
        frame = base.copy()
        frame[rows, cols][big_has] = big[big_has]
        return frame

    for k, rec in enumerate(levels):
        has = np.isfinite(rec.angle)
        frame = paste(_rotation_rgb(rec.angle, rec.mirrored), has)
        a = rec.angle[has]
        h, w = rec.hole.shape
        caption = (f"Pyramid level {k + 1} of {len(levels)} ({w}x{h}): rotation of each patch's source (hue: red 0 deg, "
                   f"green 120, blue 240; darker = mirrored); median |angle| {float(np.median(np.abs(a))) if a.size else 0:.0f} deg, "
                   f"{100 * float(rec.mirrored[has].mean()) if a.size else 0:.0f}% mirrored.")
        if rec.level == 0:
            _glyphs(frame, rec, oy, ox, crop_w / w)
            caption += " Squares: patches on a grid, drawn at their rotation and scale."
        out.append((caption, frame))
    fine = levels[-1]
    has = np.isfinite(fine.scale)
    log_s = np.log2(np.where(has, fine.scale, 1.0))
    top = float(np.max(np.abs(log_s[has]))) if has.any() else 0.0
    frame = paste(_heat(0.5 + 0.5 * log_s / max(top, 1e-6)), has)
    out.append((
        f"Scale of each patch's source at full resolution (blue: a smaller source patch, down to "
        f"{2 ** -top:.2f}x; red: larger, up to {2 ** top:.2f}x; green: unscaled).",
        frame,
    ))
    out.append(("Result of image melding.", _to_uint8(to_working(result))))
    return out
