"""One interface for every restoration method (de-mosaicing, de-blurring, de-raining).

In the manner of :class:`inpaint_core.base.InpaintMethod`: a subclass declares its metadata once
(name, title, task, citation, speed, parameters, a card, whether it needs weights and which extra
inputs it reads, e.g. a block size or a blur kernel) and implements only :meth:`RestorationMethod.run`;
a class that forgets a declaration fails when it is defined. :func:`inpaint_core.restoration.restore`
does the rest: validation, conversion to float32 RGB in [0, 1] and back to the caller's dtype and
shape, and, when a region is given, pixels outside it returned bit-exact.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np

from ..base import Citation, Declared, MethodCard, Param, RunContext, describe_params

Task = Literal["demosaic", "deblur", "derain"]
TASKS: dict[str, str] = {"demosaic": "De-mosaicing", "deblur": "De-blurring", "derain": "De-raining"}


class RestorationMethod(Declared):
    """Base class: declare the metadata, implement :meth:`run`.

    ``needs`` names the extra inputs :func:`~inpaint_core.restoration.restore` must pass as keyword
    arguments (``"block"``: the mosaic's block size and grid offset; ``"kernel"``: the true blur
    kernel, for non-blind baselines on examples only).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    task: ClassVar[Task]
    citation: ClassVar[Citation]
    card: ClassVar[MethodCard]
    speed: ClassVar[str] = "fast"
    needs_weights: ClassVar[bool] = False
    needs: ClassVar[tuple[str, ...]] = ()
    params: ClassVar[tuple[Param, ...]] = ()
    version: ClassVar[str] = "1"

    def __init_subclass__(cls, abstract: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        missing = [a for a in ("name", "title", "task", "citation", "card") if not getattr(cls, a, None)]
        if missing:
            raise TypeError(f"{cls.__name__} must declare {', '.join(missing)} "
                            "(see inpaint_core.restoration.base.RestorationMethod).")
        if cls.task not in TASKS:
            raise TypeError(f"{cls.__name__}.task is {cls.task!r}; it must be one of {', '.join(TASKS)}.")
        if not isinstance(cls.citation, Citation) or not isinstance(cls.card, MethodCard):
            raise TypeError(f"{cls.__name__} must declare citation as a Citation and card as a MethodCard.")

    def run(self, image: np.ndarray, params: dict, ctx: RunContext, **extra) -> np.ndarray:
        """Return the restored ``(H, W, 3)`` float32 image in [0, 1]."""
        raise NotImplementedError

    @classmethod
    def describe(cls) -> dict[str, Any]:
        import dataclasses

        return {"name": cls.name, "title": cls.title, "task": cls.task, "speed": cls.speed,
                "needs_weights": cls.needs_weights, "needs": list(cls.needs), "version": cls.version,
                "citation": dataclasses.asdict(cls.citation), "card": dataclasses.asdict(cls.card),
                "params": describe_params(cls.params)}
