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
