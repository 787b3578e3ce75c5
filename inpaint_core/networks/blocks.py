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
        y = act(upsample_conv(y, conv)) + skip
    return y


# Which padding of the low-resolution map reproduces each padding of its nearest 2x upsampling: a
# reflection of the upsampled map at its edge repeats the edge pixel of the small one.
_LOW_RES_PAD = {"zeros": "constant", "reflect": "replicate", "replicate": "replicate", "circular": "circular"}
# Along one axis, a 3-tap kernel read on the upsampled map is a 2-tap kernel on the small one: output
# row 2i reads small rows (i-1, i) with taps (w0, w1 + w2); row 2i+1 reads (i, i+1) with (w0 + w1, w2).
_PHASE_TAPS = (((1.0, 0.0, 0.0), (0.0, 1.0, 1.0)), ((1.0, 1.0, 0.0), (0.0, 0.0, 1.0)))


def upsample_conv(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """``conv(nearest_upsample_2x(x))`` for a 3x3, stride-1, padding-1 ``conv``, computed on ``x``
    itself: each of the four output phases (row and column parity) is a 2x2 convolution of the small
    map, so neither the upsampled map nor its padded copy is built and the work is 16 / 36 of the
    direct way (the sub-pixel view of Shi et al., "Real-time single image and video super-resolution
    using an efficient sub-pixel convolutional neural network", CVPR 2016). Equal to the direct way
    up to float rounding (tested)."""
    if conv.kernel_size != (3, 3) or conv.stride != (1, 1) or conv.padding != (1, 1) or conv.dilation != (1, 1):
        raise ValueError("upsample_conv needs a 3x3 convolution with stride 1 and padding 1")
    w = conv.weight
    taps = w.new_tensor(_PHASE_TAPS, dtype=torch.float32)  # (phase, 2 taps, 3 taps)
    with torch.autocast(x.device.type, enabled=False):  # the taps are summed in float32, as the weights are kept
        kernels = [torch.einsum("ay,oiyx,bx->oiab", taps[a], w.float(), taps[b]).to(w.dtype)
                   for a in (0, 1) for b in (0, 1)]
    h, wd = x.shape[-2:]
    padded = nn.functional.pad(x, (1, 1, 1, 1), mode=_LOW_RES_PAD[conv.padding_mode])
    out = None
    for a in (0, 1):
        for b in (0, 1):
            phase = nn.functional.conv2d(padded[..., a : a + h + 1, b : b + wd + 1], kernels[2 * a + b], conv.bias)
            if out is None:  # output pixel (2i + a, 2j + b) is out[..., i, a, j, b]
                out = phase.new_empty(*phase.shape[:2], h, 2, wd, 2)
            out[:, :, :, a, :, b] = phase
    return out.view(*out.shape[:2], 2 * h, 2 * wd)


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
