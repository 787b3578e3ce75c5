"""Images the project draws itself (shipped beside scikit-image's bundled samples)."""

from __future__ import annotations

import cv2
import numpy as np


def drawn_scene(size: int = 256) -> np.ndarray:
    """A scene the project draws itself: sky gradient, sun, hills, a striped fence, a checkered path.

    Long straight edges and periodic stripes show which methods continue structure.
    """
    s = 512  # draw large, then downscale (antialiasing)
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    img = np.zeros((s, s, 3), np.float32)
    sky_top, sky_bottom = np.array([0.25, 0.45, 0.85]), np.array([0.85, 0.9, 1.0])
    img[:] = (sky_top * (1 - yy[..., None]) + sky_bottom * yy[..., None])
    canvas = (img * 255).astype(np.uint8)
    cv2.circle(canvas, (390, 110), 55, (255, 214, 90), -1, cv2.LINE_AA)
    hills = np.array([[0, 300], [90, 230], [200, 280], [330, 200], [512, 290], [512, 512], [0, 512]], np.int32)
    cv2.fillPoly(canvas, [hills], (70, 140, 60), cv2.LINE_AA)
    far = np.array([[0, 330], [150, 290], [300, 320], [512, 300], [512, 512], [0, 512]], np.int32)
    cv2.fillPoly(canvas, [far], (95, 165, 75), cv2.LINE_AA)
    # checkered path in perspective
    for row in range(8):
        y0, y1 = 360 + row * 19, 360 + (row + 1) * 19
        for col in range(-6, 7):
            def x_at(y, c):
                return 256 + c * (20 + (y - 360) * 0.9)
            pts = np.array([[x_at(y0, col), y0], [x_at(y0, col + 1), y0], [x_at(y1, col + 1), y1], [x_at(y1, col), y1]])
            colour = (200, 190, 170) if (row + col) % 2 else (120, 90, 70)
            cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], colour, cv2.LINE_AA)
    # a fence: posts and two rails
    for x in range(12, 512, 34):
        cv2.rectangle(canvas, (x, 250), (x + 12, 350), (245, 245, 240), -1, cv2.LINE_AA)
    for y in (270, 320):
        cv2.rectangle(canvas, (0, y), (511, y + 9), (235, 235, 228), -1, cv2.LINE_AA)
    cv2.line(canvas, (0, 170), (511, 60), (40, 40, 40), 3, cv2.LINE_AA)  # a wire across the sky
    return cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)
