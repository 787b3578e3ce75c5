"""The one registry of restoration methods: every surface (Applications tab, CLI, README table,
contract tests) reads this list."""

from __future__ import annotations

from ..errors import InpaintInputError
from . import deblur, demosaic, derain, learned
from .base import TASKS, RestorationMethod

RESTORATION_CLASSES: tuple[type[RestorationMethod], ...] = (
    demosaic.NearestUpsampling, demosaic.BicubicUpsampling, demosaic.LanczosUpsampling,
    learned.FaceMosaicResNet, learned.FaceMosaicGAN, learned.SceneMosaicResNet,
    deblur.UnsharpMasking, deblur.Wiener, deblur.RichardsonLucy, learned.DeblurGAN,
    derain.NoOp, derain.GuidedMedian, learned.DIDMDN,
)
RESTORATIONS: dict[str, RestorationMethod] = {cls.name: cls() for cls in RESTORATION_CLASSES}
# each application's default: its shipped learned model
DEFAULT_METHODS: dict[str, str] = {"demosaic": "mosaic_face_resnet", "deblur": "deblurgan", "derain": "did_mdn"}


def all_restorations(task: str | None = None) -> list[RestorationMethod]:
    return [m for m in RESTORATIONS.values() if task is None or m.task == task]


def get_restoration(name: str, task: str | None = None) -> RestorationMethod:
    """The method called ``name`` (of ``task`` if given), or one sentence listing the known ones."""
    method = RESTORATIONS.get(name) if isinstance(name, str) else None
    if method is None or (task is not None and method.task != task):
        known = ", ".join(m.name for m in all_restorations(task))
        what = f"{TASKS[task].lower()} method" if task in TASKS else "restoration method"
        raise InpaintInputError(f"Unknown {what} {name!r}; known: {known}.")
    return method
