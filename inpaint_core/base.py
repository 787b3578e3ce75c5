"""One interface for every inpainting method, and the registry that lists them.

Every method is a subclass of :class:`InpaintMethod` that declares its metadata once
(name, title, family, citation, speed class, parameters, a short card) and implements
only :meth:`InpaintMethod.fill`. The shared :func:`inpaint` entry point does the rest:
input validation, conversion to the internal convention, cropping to the hole's
neighbourhood, hiding the hole's pixels from the method, pasting the known pixels back
bit-exact, and conversion back to the caller's dtype and shape.

Internal convention (the only one a ``fill`` ever sees): ``image`` is ``float32`` of
shape ``(H, W, 3)``, RGB, values in ``[0, 1]``, with the hole's pixels set to 0;
``mask`` is ``bool`` of shape ``(H, W)``, True = hole.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

import numpy as np

from .errors import InpaintInputError, MethodCancelled
from .imageio import from_working, to_working, validate_image, validate_mask

Family = Literal["diffusion", "variational", "exemplar", "patch-based", "low-rank", "learned"]
Speed = Literal["fast", "medium", "slow"]

FAMILY_ORDER: tuple[str, ...] = ("diffusion", "variational", "exemplar", "patch-based", "low-rank", "learned")


@dataclasses.dataclass(frozen=True)
class Citation:
    """The paper a method implements."""

    authors: str
    title: str
    venue: str
    year: int
    url: str  # DOI link or the paper's page

    def short(self) -> str:
        return f"{self.authors} ({self.year})"

    def markdown(self) -> str:
        return f"{self.authors}, *{self.title}*, {self.venue} {self.year}. [{self.url}]({self.url})"


@dataclasses.dataclass(frozen=True)
class MethodCard:
    """What the app shows behind a method's name: idea, key formula, failure cases."""

    idea: str  # two sentences
    formula: str = ""  # LaTeX-ish, from the survey where it has one
    fails_when: str = ""


@dataclasses.dataclass(frozen=True)
class Param:
    """One tunable parameter; the UI builds its control from this declaration."""

    name: str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] | None = None

    @property
    def kind(self) -> str:
        if self.choices is not None:
            return "choice"
        if isinstance(self.default, bool):
            return "bool"
        if isinstance(self.default, int):
            return "int"
        if isinstance(self.default, float):
            return "float"
        return "str"

    def coerce(self, value: Any) -> Any:
        """Convert ``value`` (possibly a string from the CLI) and check its range."""
        kind = self.kind
        try:
            if kind == "bool":
                if isinstance(value, str):
                    lowered = value.strip().lower()
                    if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                        raise ValueError
                    value = lowered in {"1", "true", "yes", "on"}
                else:
                    value = bool(value)
            elif kind == "int":
                as_float = float(value)
                if as_float != int(as_float):
                    raise ValueError
                value = int(as_float)
            elif kind == "float":
                value = float(value)
            elif kind == "choice":
                matches = [c for c in self.choices if str(c) == str(value)]
                if not matches:
                    raise InpaintInputError(
                        f"Parameter {self.name!r} must be one of {', '.join(map(str, self.choices))}; got {value!r}."
                    )
                value = matches[0]
            else:
                value = str(value)
        except (TypeError, ValueError):
            raise InpaintInputError(f"Parameter {self.name!r} must be a {kind}; got {value!r}.") from None
        if kind in {"int", "float"}:
            if self.minimum is not None and value < self.minimum:
                raise InpaintInputError(f"Parameter {self.name!r} must be at least {self.minimum}; got {value}.")
            if self.maximum is not None and value > self.maximum:
                raise InpaintInputError(f"Parameter {self.name!r} must be at most {self.maximum}; got {value}.")
        return value


ProgressFn = Callable[[float, str], None]


@dataclasses.dataclass
class RunContext:
    """What a method's ``fill`` gets besides the image: randomness, progress, trace.

    ``progress(fraction, message)`` reports progress and is also where a run is
    cancelled (time limit, user stop): call it regularly in long loops.
    ``trace`` is a dict when the caller asked for teaching views (fill order frames,
    nearest-neighbour fields...), else None; methods put what they record in it.
    """

    rng: np.random.Generator
    seed: int = 0
    on_progress: ProgressFn | None = None
    trace: dict | None = None
    cancel_event: threading.Event | None = None
    deadline: float | None = None  # time.monotonic() value

    def progress(self, fraction: float, message: str = "") -> None:
        self.check_cancelled()
        if self.on_progress is not None:
            self.on_progress(float(min(max(fraction, 0.0), 1.0)), message)

    def check_cancelled(self) -> None:
        if self.cancel_event is not None and self.cancel_event.is_set():
            raise MethodCancelled("The run was stopped.")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise MethodCancelled("The method ran past its time limit.")


class InpaintMethod:
    """Base class: declare the metadata, implement :meth:`fill`.

    Class attributes
    ----------------
    name : short identifier used by the CLI, the gallery and the database.
    title : display title.
    family : one of :data:`FAMILY_ORDER`.
    citation : the paper implemented.
    speed : "fast" (< 0.5 s at 512 px), "medium" (< 5 s), "slow".
    params : declared parameters with defaults and ranges.
    card : idea, key formula, failure cases.
    version : bump when the output changes (the gallery recomputes on change).
    context_margin : if not None, the base crops the image to the hole's bounding box
        grown by this many pixels before calling ``fill`` (for local methods).
    max_pixels : size guard for slow methods, on the (cropped) working area.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    family: ClassVar[Family] = "diffusion"
    citation: ClassVar[Citation]
    speed: ClassVar[Speed] = "fast"
    needs_weights: ClassVar[bool] = False
    params: ClassVar[tuple[Param, ...]] = ()
    card: ClassVar[MethodCard]
    version: ClassVar[str] = "1"
    context_margin: ClassVar[int | None] = None
    max_pixels: ClassVar[int | None] = None
    trained_on: ClassVar[str | None] = None  # e.g. "faces" for learned models

    def availability(self) -> tuple[bool, str]:
        """(True, "") if the method can run here, else (False, reason)."""
        return True, ""

    def fill(self, image: np.ndarray, mask: np.ndarray, params: dict, ctx: RunContext) -> np.ndarray:
        """Return the completed ``(H, W, 3)`` float image; only hole pixels matter."""
        raise NotImplementedError

    # -- helpers used by the base and the UI ---------------------------------------
    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {p.name: p.default for p in cls.params}

    @classmethod
    def resolve_params(cls, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults overlaid with ``params``, each checked; unknown names are an error."""
        resolved = cls.defaults()
        known = {p.name: p for p in cls.params}
        for key, value in (params or {}).items():
            if key not in known:
                names = ", ".join(known) or "none"
                raise InpaintInputError(f"Method {cls.name!r} has no parameter {key!r} (it has: {names}).")
            resolved[key] = known[key].coerce(value)
        return resolved

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Plain-data description (for ``methods --json`` and the README table)."""
        return {
            "name": cls.name,
            "title": cls.title,
            "family": cls.family,
            "speed": cls.speed,
            "needs_weights": cls.needs_weights,
            "version": cls.version,
            "trained_on": cls.trained_on,
            "citation": dataclasses.asdict(cls.citation),
            "card": dataclasses.asdict(cls.card),
            "params": [
                {k: v for k, v in dataclasses.asdict(p).items() if v is not None} | {"kind": p.kind}
                for p in cls.params
            ],
        }


_REGISTRY: dict[str, InpaintMethod] = {}


def register(cls: type[InpaintMethod]) -> type[InpaintMethod]:
    """Class decorator: add a method to the registry (names must be unique)."""
    if not cls.name or not cls.title:
        raise TypeError(f"{cls.__name__} must declare name and title")
    if cls.family not in FAMILY_ORDER:
        raise TypeError(f"{cls.__name__}.family must be one of {FAMILY_ORDER}")
    if cls.name in _REGISTRY and type(_REGISTRY[cls.name]) is not cls:
        raise TypeError(f"method name {cls.name!r} registered twice")
    for attr in ("citation", "card"):
        if not hasattr(cls, attr):
            raise TypeError(f"{cls.__name__} must declare {attr}")
    _REGISTRY[cls.name] = cls()
    return cls


def _load_methods() -> None:
    from . import methods  # noqa: F401  (importing registers every method)


def all_methods() -> list[InpaintMethod]:
    """Every registered method, ordered by family then registration order."""
    _load_methods()
    order = {f: i for i, f in enumerate(FAMILY_ORDER)}
    return sorted(_REGISTRY.values(), key=lambda m: order[m.family])


def get_method(name: str) -> InpaintMethod:
    _load_methods()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InpaintInputError(
            f"Unknown method {name!r}; known methods: {', '.join(sorted(_REGISTRY))}."
        ) from None


def hole_bbox(mask: np.ndarray, margin: int) -> tuple[slice, slice]:
    """Bounding box of the hole grown by ``margin`` pixels, clipped to the image."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    h, w = mask.shape
    return (
        slice(max(rows[0] - margin, 0), min(rows[-1] + margin + 1, h)),
        slice(max(cols[0] - margin, 0), min(cols[-1] + margin + 1, w)),
    )


def inpaint(
    image: np.ndarray,
    mask: np.ndarray,
    method: str | InpaintMethod = "telea",
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    progress: ProgressFn | None = None,
    trace: dict | None = None,
    cancel_event: threading.Event | None = None,
    time_limit: float | None = None,
) -> np.ndarray:
    """Fill the hole of ``image`` given by ``mask`` with one method.

    Parameters
    ----------
    image : ndarray, (H, W), (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA;
        uint8, uint16, or float in [0, 1].
    mask : ndarray (H, W), nonzero / True = hole.
    method : registered name or instance.
    params : overrides of the method's declared defaults.
    seed : every random choice derives from it: same seed, same output.
    progress : ``progress(fraction, message)``, called from the method.
    trace : pass a dict to receive teaching views the method records.
    cancel_event, time_limit : cooperative cancellation (raises MethodCancelled).

    Returns
    -------
    ndarray of the input's shape and dtype; pixels outside the hole are the input's,
    bit-exact; an alpha channel is returned unchanged.
    """
    impl = get_method(method) if isinstance(method, str) else method
    image = validate_image(image)
    hole = validate_mask(mask, image.shape[:2])
    resolved = impl.resolve_params(params)
    if not hole.any():
        return image.copy()
    ok, why = impl.availability()
    if not ok:
        from .errors import MethodUnavailable

        raise MethodUnavailable(why)

    work = to_working(image)
    rows, cols = (slice(None), slice(None))
    if impl.context_margin is not None:
        rows, cols = hole_bbox(hole, impl.context_margin)
    crop, crop_hole = work[rows, cols].copy(), hole[rows, cols]
    if impl.max_pixels is not None and crop_hole.size > impl.max_pixels:
        side = int(impl.max_pixels**0.5)
        raise InpaintInputError(
            f"{impl.title} works on at most {impl.max_pixels:,} pixels around the hole "
            f"(about {side}x{side}); this hole's neighbourhood has {crop_hole.size:,}: use a smaller hole or image."
        )
    crop[crop_hole] = 0.0  # the method must never see what was under the hole
    ctx = RunContext(
        rng=np.random.default_rng(seed),
        seed=seed,
        on_progress=progress,
        trace=trace,
        cancel_event=cancel_event,
        deadline=None if time_limit is None else time.monotonic() + time_limit,
    )
    filled = impl.fill(crop, crop_hole, resolved, ctx)
    filled = np.asarray(filled, dtype=np.float32)
    if filled.shape != crop.shape:
        raise RuntimeError(f"{impl.name} returned shape {filled.shape}, expected {crop.shape}")
    if not np.isfinite(filled[crop_hole]).all():
        raise RuntimeError(f"{impl.name} produced non-finite values in the hole")
    work[rows, cols][crop_hole] = np.clip(filled[crop_hole], 0.0, 1.0)
    return from_working(work, image, hole)
