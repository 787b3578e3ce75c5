"""Networks of the learned restoration methods (the survey's applications, part 2), small enough
to train and run on a CPU. Images enter and leave in ``[0, 1]``; each network predicts a correction
of its input (a residual), so an untrained network starts at its baseline.

References
----------
Dahl, Norouzi, Shlens 2017, Pixel Recursive Super Resolution (their regression ResNet baseline),
https://arxiv.org/abs/1702.00783
Kupyn et al. 2018, DeblurGAN, https://doi.org/10.1109/CVPR.2018.00854
Gulrajani et al. 2017, WGAN-GP, https://arxiv.org/abs/1704.00028
Zhang and Patel 2018, DID-MDN, https://doi.org/10.1109/CVPR.2018.00079
Huang et al. 2017, densely connected networks, https://doi.org/10.1109/CVPR.2017.243
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import encode_decode

act = nn.functional.relu


def zero_init(conv: nn.Conv2d) -> nn.Conv2d:
    """A last layer that starts at zero: the untrained network returns its baseline exactly."""
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class ResBlock(nn.Module):
    """conv-ReLU-conv plus the input; optional instance normalisation after each convolution."""

    def __init__(self, channels: int, norm: bool = False):
        super().__init__()
        self.a = nn.Conv2d(channels, channels, 3, 1, 1, padding_mode="reflect")
        self.b = nn.Conv2d(channels, channels, 3, 1, 1, padding_mode="reflect")
        self.na = nn.InstanceNorm2d(channels) if norm else nn.Identity()
        self.nb = nn.InstanceNorm2d(channels) if norm else nn.Identity()

    def forward(self, x):
        return x + self.nb(self.b(act(self.na(self.a(x)))))


class MosaicResNet(nn.Module):
    """De-mosaicing regression ResNet (after Dahl et al.'s baseline): in, the bicubic upsampling of
    the block means and a constant channel ``block / 16``; ``downs`` stride-2 convolutions, ``blocks``
    residual blocks, nearest upsampling with additive skips; out, bicubic + a predicted residual.
    Fully convolutional (any size divisible by ``2**downs``)."""

    def __init__(self, width: int = 24, blocks: int = 6, downs: int = 2):
        super().__init__()
        pad = dict(padding_mode="reflect")
        self.stem = nn.Conv2d(4, width, 3, 1, 1, **pad)
        self.down, self.up = nn.ModuleList(), nn.ModuleList()
        c = width
        for _ in range(downs):
            self.down.append(nn.Conv2d(c, 2 * c, 3, 2, 1, **pad))
            c *= 2
        self.body = nn.Sequential(*[ResBlock(c) for _ in range(blocks)])
        for _ in range(downs):
            self.up.append(nn.Conv2d(c, c // 2, 3, 1, 1, **pad))
            c //= 2
        self.head = zero_init(nn.Conv2d(c, 3, 3, 1, 1, **pad))
        self.multiple = 2**downs

    def forward(self, upsampled: torch.Tensor, block: torch.Tensor) -> torch.Tensor:
        """``upsampled``: B3HW in [0, 1]; ``block``: B block sizes in px."""
        b = (block.float() / 16).view(-1, 1, 1, 1).expand(-1, 1, *upsampled.shape[2:])
        y = act(self.stem(torch.cat([upsampled, b.to(upsampled.dtype)], 1)))
        y = encode_decode(y, self.down, self.body, self.up, act)
        return upsampled + self.head(y)


class DeblurGANGenerator(nn.Module):
    """DeblurGAN's generator (Kupyn et al. 2018, as the survey describes it): a 7x7 convolution, two
    strided convolution blocks, ``blocks`` residual blocks (instance normalisation, ReLU), two
    transposed convolution blocks, a 7x7 convolution, and a global skip (the output is the blurred
    input plus the predicted correction). Any size divisible by 4."""

    def __init__(self, width: int = 16, blocks: int = 9):
        super().__init__()
        norm = nn.InstanceNorm2d
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(3, w, 7, 1, 3, padding_mode="reflect"), norm(w), nn.ReLU(True),
            nn.Conv2d(w, 2 * w, 3, 2, 1), norm(2 * w), nn.ReLU(True),
            nn.Conv2d(2 * w, 4 * w, 3, 2, 1), norm(4 * w), nn.ReLU(True),
            *[ResBlock(4 * w, norm=True) for _ in range(blocks)],
            nn.ConvTranspose2d(4 * w, 2 * w, 3, 2, 1, output_padding=1), norm(2 * w), nn.ReLU(True),
            nn.ConvTranspose2d(2 * w, w, 3, 2, 1, output_padding=1), norm(w), nn.ReLU(True),
            zero_init(nn.Conv2d(w, 3, 7, 1, 3, padding_mode="reflect")), nn.Tanh(),
        )
        self.multiple = 4

    def forward(self, blurred: torch.Tensor) -> torch.Tensor:
        return blurred + self.net(blurred)


class ConditionalCritic(nn.Module):
    """A conditional PatchGAN critic for WGAN-GP (no normalisation, as the gradient penalty asks):
    the degraded input and a candidate (6 channels) in, a map of scores out."""

    def __init__(self, width: int = 16):
        super().__init__()
        c = width
        self.net = nn.Sequential(
            nn.Conv2d(6, c, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(c, 2 * c, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * c, 4 * c, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(4 * c, 1, 3, 1, 1),
        )

    def forward(self, degraded: torch.Tensor, candidate: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([degraded, candidate], 1))


def detail(x: torch.Tensor) -> torch.Tensor:
    """The image minus its 5x5 box mean: where thin bright streaks live."""
    return x - nn.functional.avg_pool2d(x, 5, 1, 2, count_include_pad=False)


class RainDensityClassifier(nn.Module):
    """DID-MDN's density classifier (light / medium / heavy), residual-aware in a simple form: it reads
    the image and its detail layer, four stride-2 convolutions, a global average, a linear layer.
    The global average makes it read any image size."""

    def __init__(self, width: int = 16, classes: int = 3):
        super().__init__()
        c = width
        self.features = nn.Sequential(
            nn.Conv2d(6, c, 3, 2, 1), nn.ReLU(True), nn.Conv2d(c, 2 * c, 3, 2, 1), nn.ReLU(True),
            nn.Conv2d(2 * c, 4 * c, 3, 2, 1), nn.ReLU(True), nn.Conv2d(4 * c, 4 * c, 3, 2, 1), nn.ReLU(True))
        self.fc = nn.Linear(4 * c, classes)

    def forward(self, rainy: torch.Tensor) -> torch.Tensor:
        f = self.features(torch.cat([rainy, detail(rainy)], 1))
        return self.fc(f.mean(dim=(2, 3)))


class DenseBlock(nn.Module):
    """``layers`` convolutions of kernel ``k``, each reading all earlier outputs (Huang et al. 2017),
    then a 1x1 transition back to ``cin`` channels."""

    def __init__(self, cin: int, growth: int, layers: int, k: int):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(cin + i * growth, growth, k, 1, k // 2, padding_mode="reflect")
                                   for i in range(layers))
        self.transition = nn.Conv2d(cin + layers * growth, cin, 1)

    def forward(self, x):
        feats = [x]
        for conv in self.convs:
            feats.append(act(conv(torch.cat(feats, 1))))
        return act(self.transition(torch.cat(feats, 1)))


class MultiStreamDenseNet(nn.Module):
    """DID-MDN's de-raining network (Zhang and Patel 2018): three streams of dense blocks with kernels
    3, 5 and 7 (different receptive fields for streaks of different sizes) at half resolution, their
    features and the rain-density label (a one-hot map) fused by convolutions into the rain layer,
    which is subtracted from the input. Any size divisible by 2."""

    def __init__(self, width: int = 16, growth: int = 12, layers: int = 4, kernels=(3, 5, 7), classes: int = 3):
        super().__init__()
        w = width
        self.classes = classes
        self.stem = nn.Conv2d(3, w, 3, 1, 1, padding_mode="reflect")
        self.streams = nn.ModuleList(
            nn.ModuleDict({"down": nn.Conv2d(w, w, 3, 2, 1), "dense": DenseBlock(w, growth, layers, k),
                           "up": nn.Conv2d(w, w, 3, 1, 1, padding_mode="reflect")}) for k in kernels)
        self.fuse = nn.Sequential(
            nn.Conv2d(w * (1 + len(kernels)) + classes, 2 * w, 3, 1, 1, padding_mode="reflect"), nn.ReLU(True),
            nn.Conv2d(2 * w, w, 3, 1, 1, padding_mode="reflect"), nn.ReLU(True),
            zero_init(nn.Conv2d(w, 3, 3, 1, 1, padding_mode="reflect")))
        self.multiple = 2

    def forward(self, rainy: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """``label``: B class indices (0 light, 1 medium, 2 heavy) or B x classes probabilities."""
        y = act(self.stem(rainy))
        outs = [y]
        for s in self.streams:
            z = s["dense"](act(s["down"](y)))
            outs.append(act(s["up"](nn.functional.interpolate(z, size=y.shape[2:], mode="nearest"))))
        onehot = label if label.ndim == 2 else nn.functional.one_hot(label.long(), self.classes)
        outs.append(onehot.to(y.dtype).view(-1, self.classes, 1, 1).expand(-1, -1, *y.shape[2:]))
        return rainy - self.fuse(torch.cat(outs, 1))


NETWORKS = {"mosaic_resnet": MosaicResNet, "deblurgan_g": DeblurGANGenerator, "conditional_critic": ConditionalCritic,
            "rain_classifier": RainDensityClassifier, "did_mdn": MultiStreamDenseNet}
