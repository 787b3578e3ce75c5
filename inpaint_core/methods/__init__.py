"""One module per method family; importing this package registers every method."""

from . import diffusion, variational  # noqa: F401
