"""The networks behind the learned methods (:mod:`inpaint_core.methods.learned`): their layers,
checksummed weights, model cards and the training command.

Importing this package does not import torch: ``nets`` and ``train`` do, and are only
imported when a model is trained or run.
"""

from __future__ import annotations

from ..base import Param


def flips_param(default: int = 1) -> Param:
    """The ``flips`` setting of the networks' methods: a mirror ensemble at test time
    (:func:`.blocks.mirror_ensemble`)."""
    return Param("flips", default, "Average the network's output over the image and its mirror images: 1 (none), 2 "
                 "(left-right), 4 (and up-down); a test-time ensemble (Timofte, Rothe, Van Gool 2016) that costs "
                 "as many network runs.", choices=(1, 2, 4))
