"""The shipped gallery's cases: 8 images x 8 hole types at 256 px, photo repair, scattered pixels.

Every image is one the project may ship: scikit-image's bundled samples (loaded from the
package's own files, never downloaded) and a scene the project draws itself. Hole types are
the presets of :mod:`inpaint_core.masks` (centre region and random blocks/shapes as in
Pathak et al. 2016, https://doi.org/10.1109/CVPR.2016.278; thin / medium / thick free-form
strokes as in LaMa, https://doi.org/10.1109/WACV51458.2022.00323; scratches; an object-like
blob). Two photo-repair cases stamp text and a watermark over a photo; their hole is exactly
the stamped pixels. Four cases remove 50 % and 80 % of the pixels at random, where the survey
places sparsity and low-rank completion (Cai, Candes, Shen 2010, https://doi.org/10.1137/080738970).

A case is a :class:`CaseSpec` (pixels + metadata); :func:`shipped_cases` makes them all,
deterministically: a case's mask seed comes from its id, not from its position in a list.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zlib
from collections.abc import Callable

import cv2
import numpy as np

from inpaint_core.masks import MASK_PRESETS, generate_mask

SIZE = 256
HOLE_TYPES: tuple[str, ...] = ("centre", "blocks", "shapes", "thin", "medium", "thick", "scratches", "object")
REPAIR_TYPES: tuple[str, ...] = ("text", "watermark")
# scattered missing pixels: the survey's case for sparsity and low-rank methods ("80 % of the
# pixels have been removed"), beside diffusion, on a photo and on the drawn scene
SCATTER_TYPES: tuple[str, ...] = ("pixels50", "pixels80")
SCATTER_IMAGES: tuple[str, ...] = ("astronaut", "scene")
HOLE_TITLES: dict[str, str] = {k: MASK_PRESETS[k][0] for k in HOLE_TYPES + SCATTER_TYPES} | {
    "text": "Text stamped over a photo",
    "watermark": "Watermark stamped over a photo",
}


@dataclasses.dataclass
class CaseSpec:
    """One gallery case: the intact image, its hole, and what to show as the damaged input.

    ``original`` is uint8 (H, W, 3) RGB; ``mask`` bool (H, W), True = hole; ``damaged`` is
    what a visitor sees before repair (the stamped photo for text / watermark cases), or None.
    """

    case_id: str
    image: str  # image name
    mask_type: str
    original: np.ndarray
    mask: np.ndarray
    source: str
    mask_seed: int | None = None
    damaged: np.ndarray | None = None

    def content_hash(self) -> str:
        """Hash of the pixels: a case whose original or mask changes invalidates its rows."""
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(self.original, np.uint8).tobytes())
        digest.update(np.packbits(self.mask).tobytes())
        digest.update(str(self.original.shape).encode())
        return digest.hexdigest()[:16]


# ------------------------------------------------------------------------------ images
def square_resize(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square and resize to ``size`` x ``size`` (area interpolation); gray -> RGB."""
    arr = np.asarray(image)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    arr = arr[..., :3]
    h, w = arr.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    arr = arr[top : top + side, left : left + side]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(arr, (size, size), interpolation=interp))


def drawn_scene(size: int = SIZE) -> np.ndarray:
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


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data

        return getattr(skimage.data, name)()

    return load


# name -> (loader of the full-size image, where it comes from)
IMAGES: dict[str, tuple[Callable[[], np.ndarray], str]] = {
    "astronaut": (_skimage("astronaut"), "skimage.data.astronaut (NASA, public domain)"),
    "camera": (_skimage("camera"), "skimage.data.camera (scikit-image, CC0)"),
    "chelsea": (_skimage("chelsea"), "skimage.data.chelsea (Stefan van der Walt, CC0)"),
    "coffee": (_skimage("coffee"), "skimage.data.coffee (Rachel Michetti, CC0)"),
    "rocket": (_skimage("rocket"), "skimage.data.rocket (SpaceX, CC0)"),
    "ihc": (_skimage("immunohistochemistry"), "skimage.data.immunohistochemistry (Guillermo Jimenez, CC0)"),
    "brick": (_skimage("brick"), "skimage.data.brick (texture, CC0)"),
    "scene": (drawn_scene, "drawn by Inpaint Lab (gallery/specs.py)"),
}
REPAIR_IMAGES: dict[str, str] = {"text": "astronaut", "watermark": "chelsea"}


def load_image(name: str, size: int = SIZE) -> np.ndarray:
    """One of :data:`IMAGES` as uint8 RGB ``size`` x ``size``."""
    loader, _ = IMAGES[name]
    return square_resize(loader(), size)


# ------------------------------------------------------------------------------ stamps
def stamp_text(photo: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Caption-like text over ``photo``; returns (stamped photo, mask of the stamped pixels)."""
    h, w = photo.shape[:2]
    ink = np.zeros((h, w), np.uint8)
    lines = ["Summer 1984", "Happy birthday!", "Inpaint Lab", "(c) 2024"]
    scale = w / 256 * 0.62
    thickness = max(1, round(w / 256 * 1.6))
    rng = np.random.default_rng(seed)
    for i, line in enumerate(lines):
        x = int(w * 0.06 + rng.uniform(0, w * 0.15))
        y = int(h * (0.2 + 0.22 * i))
        cv2.putText(ink, line, (x, y), cv2.FONT_HERSHEY_DUPLEX, scale, 255, thickness, cv2.LINE_8)
    mask = ink > 0
    stamped = photo.copy()
    stamped[mask] = (250, 214, 60)
    return stamped, mask


def stamp_watermark(photo: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A semi-transparent diagonal watermark; the mask is every pixel the stamp touched."""
    h, w = photo.shape[:2]
    ink = np.zeros((h, w), np.uint8)
    scale = w / 256 * 1.1
    thickness = max(2, round(w / 256 * 3))
    cv2.putText(ink, "SAMPLE", (int(w * 0.12), int(h * 0.58)), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thickness, cv2.LINE_8)
    rotation = cv2.getRotationMatrix2D((w / 2, h / 2), 25, 1.0)
    ink = cv2.warpAffine(ink, rotation, (w, h), flags=cv2.INTER_NEAREST)
    cv2.circle(ink, (int(w * 0.82), int(h * 0.16)), int(w * 0.07), 255, thickness, cv2.LINE_8)
    cv2.putText(ink, "c", (int(w * 0.79), int(h * 0.19)), cv2.FONT_HERSHEY_SIMPLEX, scale * 0.6, 255, thickness, cv2.LINE_8)
    mask = ink > 0
    stamped = photo.astype(np.float32)
    stamped[mask] = 0.45 * stamped[mask] + 0.55 * 255.0
    return np.clip(np.rint(stamped), 0, 255).astype(np.uint8), mask


# ------------------------------------------------------------------------------ cases
def mask_seed(case_id: str) -> int:
    """A case's mask seed, from its id (stable when images or hole types are added)."""
    return zlib.crc32(case_id.encode()) % 100_000


def make_case(image: str, mask_type: str, size: int = SIZE, *, photo: np.ndarray | None = None) -> CaseSpec:
    """Build one case; ``photo`` (already ``size`` px) skips re-loading the image."""
    photo = load_image(image, size) if photo is None else photo
    case_id = f"{image}-{mask_type}"
    seed = mask_seed(case_id)
    source = IMAGES[image][1]
    if mask_type == "text":
        damaged, mask = stamp_text(photo, seed)
    elif mask_type == "watermark":
        damaged, mask = stamp_watermark(photo, seed)
    else:
        mask = generate_mask(mask_type, (size, size), seed)
        damaged = None
    return CaseSpec(case_id, image, mask_type, photo, mask, source, seed, damaged)


def shipped_cases(size: int = SIZE) -> list[CaseSpec]:
    """Every case of the shipped gallery: images x hole types, then the photo-repair cases."""
    photos = {name: load_image(name, size) for name in IMAGES}
    cases = [make_case(name, kind, size, photo=photos[name]) for name in IMAGES for kind in HOLE_TYPES]
    cases += [make_case(REPAIR_IMAGES[kind], kind, size, photo=photos[REPAIR_IMAGES[kind]]) for kind in REPAIR_TYPES]
    cases += [make_case(name, kind, size, photo=photos[name]) for name in SCATTER_IMAGES for kind in SCATTER_TYPES]
    return cases
