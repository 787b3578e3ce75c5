"""Where the hole is: its bounding box, the windows cut around it, the patch clamp.

One home for the geometry every method family, the case folders and the tabs share, so that a
bounding box or a crop window is computed one way everywhere. Boxes are ``(rows, cols)`` pairs of
slices, usable as ``image[box]``.
"""

from __future__ import annotations

import numpy as np

Box = tuple[slice, slice]


def hole_box(hole: np.ndarray, margin: int = 0) -> Box:
    """The hole's bounding box grown by ``margin`` pixels and clipped to the image; the whole
    image for an empty mask."""
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    h, w = hole.shape[:2]
    if not len(rows):
        return slice(0, h), slice(0, w)
    return (slice(max(rows[0] - margin, 0), min(rows[-1] + margin + 1, h)),
            slice(max(cols[0] - margin, 0), min(cols[-1] + margin + 1, w)))


def box_shape(box: Box) -> tuple[int, int]:
    """(height, width) of a box of explicit slices."""
    return box[0].stop - box[0].start, box[1].stop - box[1].start


def square_box(hole: np.ndarray, margin: int = 0) -> Box:
    """The hole's box grown by ``margin``, made square (as large as its longer side, where the
    image allows) and kept inside the image: the view a zoom on the hole shows."""
    rows, cols = hole_box(hole, margin)
    h, w = hole.shape[:2]
    side = min(max(rows.stop - rows.start, cols.stop - cols.start), h, w)
    top = min(max(0, (rows.start + rows.stop - side) // 2), h - side)
    left = min(max(0, (cols.start + cols.stop - side) // 2), w - side)
    return slice(top, top + side), slice(left, left + side)


