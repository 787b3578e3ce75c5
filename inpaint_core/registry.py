"""The method registry: every inpainting method, listed in one place.

Like IOPaint's model dict, the registry is an explicit list of classes, not the side effect of
importing modules: :data:`METHOD_CLASSES` is the whole zoo, in display order within each family,
and every surface (Compare, the CLI, the gallery, the README table, the contract tests) reads
:func:`all_methods` / :func:`get_method`. Adding a method is one class in its family's module and
one line here.
"""

from __future__ import annotations

from .base import FAMILY_ORDER, InpaintMethod
from .errors import InpaintInputError
from .methods import diffusion, exemplar, learned, low_rank, patch_based, variational

__all__ = ["FAMILY_ORDER", "METHOD_CLASSES", "METHODS", "all_methods", "get_method", "find_method"]

METHOD_CLASSES: tuple[type[InpaintMethod], ...] = (
    diffusion.Telea, diffusion.NavierStokes, diffusion.Harmonic, diffusion.Biharmonic,
    variational.TotalVariation,
    exemplar.Criminisi, exemplar.StructurePropagation, exemplar.EfrosLeung,
    patch_based.PatchMatchCompletion, patch_based.PatchOffsets, patch_based.ImageMelding, patch_based.PlanarGuidance,
    low_rank.LowRankSVT,
    learned.ContextEncoder, learned.ContextEncoderFaces, learned.GLCIC, learned.GLCICFaces,
    learned.SemanticDCGAN, learned.NeuralPatchSynthesis, learned.LamaFourier,
)


def _build(classes: tuple[type[InpaintMethod], ...]) -> dict[str, InpaintMethod]:
    methods: dict[str, InpaintMethod] = {}
    for cls in classes:
        if cls.name in methods:
            raise TypeError(f"Two methods are called {cls.name!r}: {type(methods[cls.name]).__name__} and {cls.__name__}.")
        methods[cls.name] = cls()
    order = {f: i for i, f in enumerate(FAMILY_ORDER)}
    return dict(sorted(methods.items(), key=lambda kv: order[kv[1].family]))


METHODS: dict[str, InpaintMethod] = _build(METHOD_CLASSES)
"""Name -> instance, ordered by family (stable within a family)."""


def all_methods() -> list[InpaintMethod]:
    """Every registered method, ordered by family, then as listed in :data:`METHOD_CLASSES`."""
    return list(METHODS.values())


def get_method(name: str) -> InpaintMethod:
    """The method called ``name``; an unknown name is one sentence listing the known ones."""
    try:
        return METHODS[name]
    except (KeyError, TypeError):
        raise InpaintInputError(f"Unknown method {name!r}; known methods: {', '.join(sorted(METHODS))}.") from None


def find_method(name: str) -> InpaintMethod | None:
    """The registered method called ``name``, or None (e.g. a gallery row of a retired method)."""
    return METHODS.get(name) if isinstance(name, str) else None


def find_any_method(name: str):
    """The inpainting or restoration method called ``name`` (both registries), or None: for surfaces
    that show either (the gallery's de-mosaicing cases, the study's "Real or de-mosaiced?" pairs)."""
    from .restoration import RESTORATIONS

    return find_method(name) or (RESTORATIONS.get(name) if isinstance(name, str) else None)
