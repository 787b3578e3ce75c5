"""One module per method family; importing this package registers every method."""

from . import diffusion, variational, exemplar, patch_based, low_rank, learned  # noqa: F401
