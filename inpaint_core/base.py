"""One interface for every inpainting method.

Every method is a subclass of :class:`InpaintMethod` that declares its metadata once
(name, title, family, citation, speed class, parameters, a short card) and implements
only :meth:`InpaintMethod.fill`; a class that forgets a required declaration fails when it
is defined. :mod:`inpaint_core.registry` lists the methods explicitly, and
:func:`inpaint_core.api.inpaint` does the rest: input validation, conversion to the internal
convention, cropping to the hole's neighbourhood, hiding the hole's pixels from the method,
pasting the known pixels back bit-exact, and conversion back to the caller's dtype and shape.

Internal convention (the only one a ``fill`` ever sees): ``image`` is ``float32`` of
shape ``(H, W, 3)``, RGB, values in ``[0, 1]``, with the hole's pixels set to 0;
``mask`` is ``bool`` of shape ``(H, W)``, True = hole.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

import numpy as np

from .errors import InpaintInputError, MethodCancelled

Family = Literal["diffusion", "variational", "exemplar", "patch-based", "low-rank", "learned"]
Speed = Literal["fast", "medium", "slow"]

FAMILY_ORDER: tuple[str, ...] = ("diffusion", "variational", "exemplar", "patch-based", "low-rank", "learned")
MAX_SEED = 2**63 - 1  # seeds are stored as int64 (gallery tables, case folders)
_INT_TEXT = re.compile(r"[+-]?\d+")


def _shown(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut short for long values (a 5,000-digit integer has no ``str`` at all)."""
    try:
        text = repr(value)
    except ValueError:
        return "a number too large to print"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_seed(seed: Any, what: str = "The seed") -> int:
    """A seed as ``int`` in [0, MAX_SEED]; anything else raises one sentence naming ``what``."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (numbers.Integral, float, np.floating)):
        raise InpaintInputError(f"{what} must be a whole number from 0 to {MAX_SEED}; got {_shown(seed)}.")
    if isinstance(seed, (float, np.floating)):
        if not math.isfinite(seed) or not float(seed).is_integer():
            raise InpaintInputError(f"{what} must be a whole number from 0 to {MAX_SEED}; got {_shown(seed)}.")
    value = int(seed)
    if not 0 <= value <= MAX_SEED:
        raise InpaintInputError(f"{what} must be a whole number from 0 to {MAX_SEED}; got {_shown(value)}.")
    return value


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

    def coerce(self, value: Any, method: str = "") -> Any:
        """Convert ``value`` (possibly a string from the CLI) and check it; return the value.

        Refused, each with one sentence naming the parameter (and ``method`` when given):
        NaN and infinite numbers (also as strings such as "nan" or "1e400"), a bool where a
        number is expected and a number other than 0 / 1 where a bool is, lists, dicts and
        None, values outside [minimum, maximum], and integers off the declared grid
        ``minimum + k * step`` (odd patch sizes, for instance).
        """
        kind = self.kind
        label = f"Parameter {self.name!r}" + (f" of method {method!r}" if method else "")
        if kind == "choice":
            matches = [c for c in self.choices if isinstance(value, (str, int, float)) and str(c) == str(value)]
            if not matches:
                raise InpaintInputError(
                    f"{label} must be one of {', '.join(map(str, self.choices))}; got {_shown(value)}."
                )
            return matches[0]
        if kind == "bool":
            return self._coerce_bool(value, label)
        if kind == "str":
            if not isinstance(value, str):
                raise InpaintInputError(f"{label} must be a string; got {_shown(value)}.")
            return value
        number = self._coerce_number(value, label, integer=kind == "int")
        if self.minimum is not None and number < self.minimum:
            raise InpaintInputError(f"{label} must be at least {self.minimum}{self._span()}; got {_shown(number)}.")
        if self.maximum is not None and number > self.maximum:
            raise InpaintInputError(f"{label} must be at most {self.maximum}{self._span()}; got {_shown(number)}.")
        if kind == "int" and self.step is not None and self.step > 1 and self.minimum is not None:
            step, first = int(self.step), int(self.minimum)
            if (number - first) % step:
                raise InpaintInputError(
                    f"{label} must be one of {first}, {first + step}, {first + 2 * step}, ... "
                    f"(steps of {step}); got {number}."
                )
        if kind == "float":
            try:
                return float(number)
            except OverflowError:
                raise InpaintInputError(f"{label} must be a finite number; got {_shown(number)}.") from None
        return number

    def _span(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f" (it takes {self.minimum} to {self.maximum})"
        return ""

    @staticmethod
    def _coerce_bool(value: Any, label: str) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
        elif isinstance(value, numbers.Integral) and value in (0, 1):
            return bool(value)
        raise InpaintInputError(f"{label} must be true or false; got {_shown(value)}.")

    def _coerce_number(self, value: Any, label: str, *, integer: bool) -> int | float:
        what = "an integer" if integer else "a number"
        if isinstance(value, (bool, np.bool_)):
            raise InpaintInputError(f"{label} must be {what}, not true / false; got {value}.")
        if isinstance(value, numbers.Integral):
            number: int | float = int(value)
        elif isinstance(value, (numbers.Real, str)):
            text = value.strip() if isinstance(value, str) else None
            if text is not None and integer and len(text) < 300 and _INT_TEXT.fullmatch(text):
                number = int(text)  # exact, even past float precision
            else:
                try:
                    number = float(text if text is not None else value)
                except (TypeError, ValueError, OverflowError):
                    raise InpaintInputError(f"{label} must be {what}; got {_shown(value)}.") from None
        else:
            raise InpaintInputError(f"{label} must be {what}; got {_shown(value)}.")
        if isinstance(number, float):
            if not math.isfinite(number):
                raise InpaintInputError(f"{label} must be a finite number; got {_shown(value)}.")
            if integer:
                if not number.is_integer():
                    raise InpaintInputError(f"{label} must be an integer; got {_shown(value)}.")
                number = int(number)
        return number  # an int for a float parameter too: exact in the range checks, converted after them


ProgressFn = Callable[[float, str], None]


def describe_params(declared: tuple[Param, ...]) -> list[dict[str, Any]]:
    """Plain-data declarations (for ``--json`` listings and the README tables)."""
    return [{k: v for k, v in dataclasses.asdict(p).items() if v is not None} | {"kind": p.kind} for p in declared]


def resolve_declared(method: str, declared: tuple[Param, ...], params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``declared``'s defaults overlaid with ``params``, each checked; unknown names are an error
    (one sentence naming ``method``). Shared by every registry's methods."""
    resolved = {p.name: p.default for p in declared}
    known = {p.name: p for p in declared}
    if params is None:
        return resolved
    if not isinstance(params, Mapping):
        raise InpaintInputError(
            f"The parameters of method {method!r} must be a mapping of name to value; got {_shown(params)}."
        )
    for key, value in params.items():
        if key not in known:
            names = ", ".join(known) or "none"
            raise InpaintInputError(f"Method {method!r} has no parameter {_shown(key)} (it has: {names}).")
        resolved[key] = known[key].coerce(value, method=method)
    return resolved


@dataclasses.dataclass
class RunContext:
    """What a method's ``fill`` gets besides the image: randomness, progress, trace.

    ``progress(fraction, message)`` reports progress and is also where a run is
    cancelled (time limit, user stop): call it regularly in long loops.
    ``trace`` is a :class:`~inpaint_core.trace.Trace` when the caller asked for teaching
    views (fill order, nearest-neighbour fields...), else None; methods record into it.
    :meth:`child_seed` gives a sub-step its own seed, derived from the run's.
    """

    rng: np.random.Generator
    seed: int = 0
    on_progress: ProgressFn | None = None
    trace: Any = None  # inpaint_core.trace.Trace | None
    cancel_event: threading.Event | None = None
    deadline: float | None = None  # time.monotonic() value

    def progress(self, fraction: float, message: str = "") -> None:
        self.check_cancelled()
        if self.on_progress is not None:
            self.on_progress(float(min(max(fraction, 0.0), 1.0)), message)

    def child_seed(self, index: int = 0) -> int:
        """A seed for the ``index``-th random sub-step (a level, a restart), derived from the run's
        seed: same run seed, same child seeds, and different sub-steps never share a stream."""
        return int(np.random.SeedSequence([self.seed, int(index)]).generate_state(1)[0])

    def check_cancelled(self) -> None:
        if self.cancel_event is not None and self.cancel_event.is_set():
            raise MethodCancelled("The run was stopped.")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise MethodCancelled("The method ran past its time limit.")


class Declared:
    """What every registry's methods share: declared parameters, their defaults and their checking."""

    name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()

    def availability(self) -> tuple[bool, str]:
        """(True, "") if the method can run here, else (False, reason)."""
        return True, ""

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {p.name: p.default for p in cls.params}

    @classmethod
    def resolve_params(cls, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults overlaid with ``params``, each checked; unknown names are an error."""
        return resolve_declared(cls.name, cls.params, params)


class InpaintMethod(Declared):
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

    name: ClassVar[str]
    title: ClassVar[str]
    family: ClassVar[Family]
    citation: ClassVar[Citation]
    speed: ClassVar[Speed] = "fast"
    needs_weights: ClassVar[bool] = False
    params: ClassVar[tuple[Param, ...]] = ()
    card: ClassVar[MethodCard]
    version: ClassVar[str] = "1"
    context_margin: ClassVar[int | None] = None
    max_pixels: ClassVar[int | None] = None
    trained_on: ClassVar[str | None] = None  # e.g. "faces" for learned models

    def __init_subclass__(cls, abstract: bool = False, **kwargs):
        """Check a concrete method's declarations when its class is defined (``abstract=True``
        marks a shared base, such as :class:`~inpaint_core.methods.learned.LearnedMethod`)."""
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        missing = [a for a in ("name", "title", "family", "citation", "card") if not getattr(cls, a, None)]
        if missing:
            raise TypeError(f"{cls.__name__} must declare {', '.join(missing)} (see inpaint_core.base.InpaintMethod).")
        if cls.family not in FAMILY_ORDER:
            raise TypeError(f"{cls.__name__}.family is {cls.family!r}; it must be one of {', '.join(FAMILY_ORDER)}.")
        if cls.speed not in ("fast", "medium", "slow"):
            raise TypeError(f"{cls.__name__}.speed is {cls.speed!r}; it must be fast, medium or slow.")
        if not isinstance(cls.citation, Citation) or not isinstance(cls.card, MethodCard):
            raise TypeError(f"{cls.__name__} must declare citation as a Citation and card as a MethodCard.")

    def fill(self, image: np.ndarray, mask: np.ndarray, params: dict, ctx: RunContext) -> np.ndarray:
        """Return the completed ``(H, W, 3)`` float image; only hole pixels matter."""
        raise NotImplementedError

    # -- helpers used by the base and the UI: defaults() and resolve_params() from Declared ---------
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
            "params": describe_params(cls.params),
        }


