"""Applications of inpainting from the survey (Zhao, *Image Inpainting*, 2018): each finds the pixels
to remove (or takes them from the user), then fills them with any registered method.

- :mod:`.repair`: old-photo repair (scratches, cracks, dust, creases, torn corners, date stamps);
- :mod:`.dewatermark`: finding a known mark with SIFT + FLANN + RANSAC, and removing it (inpainting,
  or inverting the alpha blend where the mark is semi-transparent);
- :mod:`.remove`: object removal with guide curves (structure propagation, Sun et al. 2005);
- :mod:`.demosaic`: finding a mosaicked region and restoring it (a restoration method, not inpainting);
  de-blurring and de-raining run a restoration method on the whole photo (the CLI's ``apps deblur`` and
  ``apps derain``).

:mod:`.common` holds what they share (image conversion, detection scores). :data:`APPLICATIONS`
names each application and where its methods come from (the CLI's ``apps list``).
"""

from __future__ import annotations


def _inpainting():
    from ..registry import all_methods

    return all_methods()


def _restorations(task: str):
    def methods():
        from ..restoration import all_restorations

        return all_restorations(task)

    return methods


APPLICATIONS = {  # name: (title, the methods it can use)
    "repair": ("Photo repair", _inpainting),
    "dewatermark": ("De-watermarking", _inpainting),
    "remove": ("Object removal with structure guides", _inpainting),
    "demosaic": ("De-mosaicing", _restorations("demosaic")),
    "deblur": ("De-blurring", _restorations("deblur")),
    "derain": ("De-raining", _restorations("derain")),
}
