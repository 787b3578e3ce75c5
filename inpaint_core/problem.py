"""An inpainting problem: an image and its hole, checked once at the entry.

:meth:`Problem.check` runs the validation gate (:func:`~inpaint_core.imageio.validate_image`,
:func:`~inpaint_core.imageio.validate_mask`); everything below it (the compare engine, one
method's run, the metrics) takes the :class:`Problem` and checks nothing again.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .imageio import to_uint8_rgb, validate_image, validate_mask


@dataclasses.dataclass(frozen=True, eq=False)
class Problem:
    """``image`` as given (gray, RGB or RGBA; uint8, uint16 or float in [0, 1]) and ``hole``,
    a bool (H, W) array with True = hole; ``notice`` says what was done to the input (e.g. a
    downscale) for the user."""

    image: np.ndarray
    hole: np.ndarray
    notice: str = ""

    @classmethod
    def check(cls, image: np.ndarray, mask: np.ndarray, *, notice: str = "") -> "Problem":
        """Validate ``image`` and ``mask`` (nonzero = hole; a full mask is refused) once."""
        image = validate_image(image)
        return cls(image, validate_mask(mask, image.shape[:2]), notice)

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape[:2]

    def reference(self) -> np.ndarray:
        """The intact image as uint8 RGB, what every metric compares against."""
        return to_uint8_rgb(self.image)
