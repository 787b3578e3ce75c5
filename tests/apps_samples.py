"""Photos for the applications' tests: scikit-image's bundled samples at 512 px (no download)."""

from __future__ import annotations

import functools

import cv2
import numpy as np
from skimage import data


@functools.lru_cache(maxsize=None)
def photo(name: str, side: int = 512) -> np.ndarray:
    image = getattr(data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    h, w = image.shape[:2]
    factor = side / max(h, w)
    out = cv2.resize(image[..., :3], (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA)
    out.setflags(write=False)
    return out
