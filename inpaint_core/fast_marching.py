"""Telea's fast-marching fill (A. Telea, "An image inpainting technique based on the fast marching
method", J. Graphics Tools 9(1), 2004, https://doi.org/10.1080/10867651.2004.10487596), as OpenCV
implements it: the one smooth fill every method family shares (initial guesses of the patch
methods, GLCIC's post-processing, the deep path of the Telea method itself).
"""

from __future__ import annotations

import cv2
import numpy as np


def telea_fill(image: np.ndarray, hole: np.ndarray, radius: int = 3, *, flag: int = cv2.INPAINT_TELEA,
               depth: int = 32) -> np.ndarray:
    """Telea's (2004) fast-marching fill of ``hole`` in a working image (float RGB in [0, 1]): the one
    smooth fill the method families share (an initial guess, GLCIC's post-processing). Channel by
    channel, as float32 on the 0-255 scale (``depth=32``) or as 16-bit integers (``depth=16``);
    OpenCV's float variant is wrong on a 0-1 scale, so neither uses it. ``depth=16`` returns the known
    pixels unchanged; ``depth=32`` returns them through the 0-255 round trip (within a float32 ulp),
    which callers that only read the hole may ignore. ``flag=cv2.INPAINT_NS`` gives Navier-Stokes."""
    image = np.asarray(image, np.float32)
    mask = hole.astype(np.uint8)
    if depth == 16:
        deep = np.round(np.clip(image, 0, 1) * 65535).astype(np.uint16)
        channels = [cv2.inpaint(np.ascontiguousarray(deep[..., c]), mask, radius, flag) for c in range(image.shape[2])]
        filled = np.stack(channels, axis=2).astype(np.float32) / np.float32(65535)
        return np.where(hole[..., None], filled, image).astype(np.float32)
    scaled = image * np.float32(255.0)
    channels = [cv2.inpaint(np.ascontiguousarray(scaled[..., c]), mask, radius, flag) for c in range(image.shape[2])]
    return np.clip(np.stack(channels, axis=2) / np.float32(255.0), 0.0, 1.0).astype(np.float32)
