"""Pieces shared by the inpainting networks (:mod:`.nets`) and the restoration ones
(:mod:`.restoration_nets`), kept apart so that neither imports the other."""

from __future__ import annotations

import torch
from torch import nn


def encode_decode(y: torch.Tensor, down: nn.ModuleList, body: nn.Module, up: nn.ModuleList, act) -> torch.Tensor:
    """Stride-2 convolutions ``down``, then ``body``, then nearest upsampling + ``up`` convolutions, each
    level's output added to the encoder's activation of the same size (additive skips, U-Net style)."""
    skips = []
    for conv in down:
        skips.append(y)
        y = act(conv(y))
    y = body(y)
    for conv, skip in zip(up, reversed(skips)):
        y = act(conv(nn.functional.interpolate(y, scale_factor=2, mode="nearest"))) + skip
    return y


MIRROR_VIEWS = ((False, False), (False, True), (True, False), (True, True))  # (up-down, left-right)


def mirror_ensemble(net, x: torch.Tensor, flips: int) -> torch.Tensor:
    """The mean of ``net`` over the NCHW batch ``x`` and its mirror images (``flips`` = 1: none, 2:
    left-right, 4: and up-down), each output mirrored back: the test-time ensemble of Timofte, Rothe,
    Van Gool, "Seven ways to improve example-based single image super resolution", CVPR 2016."""
    out = 0
    for up_down, left_right in MIRROR_VIEWS[:flips]:
        dims = [d for d, flip in ((2, up_down), (3, left_right)) if flip]
        y = net(x.flip(dims) if dims else x)
        out = out + (y.flip(dims) if dims else y)
    return out / flips
