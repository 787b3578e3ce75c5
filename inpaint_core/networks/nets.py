"""Network architectures of the learned methods, small enough to train and run on a CPU.

Every builder takes plain keyword sizes (saved in the model's config JSON) so that the
weights can be rebuilt exactly. Images enter in ``[-1, 1]``; a hole mask channel (1 = hole)
is appended where the method needs it.

References
----------
Pathak et al. 2016, Context Encoders, https://doi.org/10.1109/CVPR.2016.278
Iizuka et al. 2017, GLCIC, https://doi.org/10.1145/3072959.3073659
Radford et al. 2016, DCGAN, https://arxiv.org/abs/1511.06434
Yang et al. 2017, neural patch synthesis, https://doi.org/10.1109/CVPR.2017.434
Ulyanov et al. 2018 (random-weight networks carry image statistics), https://doi.org/10.1109/CVPR.2018.00984
Suvorov et al. 2022, LaMa (fast Fourier convolutions), https://doi.org/10.1109/WACV51458.2022.00323
Chi, Jiang and Mu 2020, Fast Fourier Convolution, NeurIPS
Miyato et al. 2018, spectral normalisation, https://arxiv.org/abs/1802.05957
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .blocks import encode_decode


def _conv(cin: int, cout: int, k: int = 3, stride: int = 1, dilation: int = 1, norm: bool = True) -> nn.Sequential:
    pad = dilation * (k - 1) // 2
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, pad, dilation=dilation)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --- Context Encoder ---------------------------------------------------------------------------------


class ChannelWiseFC(nn.Module):
    """Pathak's channel-wise fully connected layer: each feature map gets its own dense
    (h*w x h*w) layer, with no cross-channel weights; a 1x1 convolution then mixes channels."""

    def __init__(self, channels: int, side: int):
        super().__init__()
        n = side * side
        self.weight = nn.Parameter(torch.randn(channels, n, n) / math.sqrt(n))
        self.bias = nn.Parameter(torch.zeros(channels, n))
        self.mix = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        flat = x.reshape(b, c, 1, h * w)
        out = torch.matmul(flat, self.weight.unsqueeze(0)).reshape(b, c, h * w) + self.bias
        return self.mix(torch.relu(out.reshape(b, c, h, w)))


class ContextEncoder(nn.Module):
    """Encoder (stride-2 4x4 convolutions down to 4x4), channel-wise FC, decoder (up-convolutions)
    to the centre region: input ``size`` x ``size`` (RGB + mask), output the centre ``size/2`` patch."""

    def __init__(self, size: int = 64, width: int = 32, max_width: int = 256):
        super().__init__()
        n_down = int(round(math.log2(size / 4)))
        if 4 * 2**n_down != size:
            raise ValueError("Context Encoder size must be 4 * a power of two (32, 64, 128...)")
        enc, cin = [], 4
        for i in range(n_down):
            cout = min(width * 2**i, max_width)
            enc += [nn.Conv2d(cin, cout, 4, 2, 1)]
            if i > 0:
                enc.append(nn.BatchNorm2d(cout))
            enc.append(nn.LeakyReLU(0.2, inplace=True))
            cin = cout
        self.encoder = nn.Sequential(*enc)
        self.bottleneck = ChannelWiseFC(cin, 4)
        dec = []
        for i in range(n_down - 1, 0, -1):  # up to size/2: one up-convolution fewer than down
            cout = min(width * 2 ** (i - 1), max_width)
            dec += [nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
            cin = cout
        dec += [nn.Conv2d(cin, 3, 3, 1, 1), nn.Tanh()]
        self.decoder = nn.Sequential(*dec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.bottleneck(self.encoder(x)))


class PatchDiscriminator(nn.Module):
    """A DCGAN-style discriminator for a square image (Context Encoder's adversary, DCGAN's D,
    GLCIC's local discriminator): 4x4 stride-2 convolutions, then one logit."""

    def __init__(self, size: int = 32, width: int = 32, in_channels: int = 3, max_width: int = 256, features: bool = False):
        super().__init__()
        n_down = max(1, int(round(math.log2(size / 4))))
        layers, cin = [], in_channels
        for i in range(n_down):
            cout = min(width * 2**i, max_width)
            layers.append(nn.Conv2d(cin, cout, 4, 2, 1))
            if i > 0:
                layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            cin = cout
        self.body = nn.Sequential(*layers)
        side = size // 2**n_down
        self.features = features
        self.head = nn.Linear(cin * side * side, 1)
        self.out_features = cin * side * side

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x)).squeeze(1)


# --- GLCIC ----------------------------------------------------------------------------------------------


class CompletionNet(nn.Module):
    """Iizuka et al.'s completion network, narrowed: 17 layers, two stride-2 downsamplings,
    four dilated convolutions (rates 2, 4, 8, 16) in the middle, two up-convolutions, sigmoid output.
    Fully convolutional: any size divisible by 4."""

    def __init__(self, width: int = 32):
        super().__init__()
        c = width
        self.net = nn.Sequential(
            _conv(4, c, 5), _conv(c, 2 * c, 3, 2), _conv(2 * c, 2 * c), _conv(2 * c, 4 * c, 3, 2),
            _conv(4 * c, 4 * c), _conv(4 * c, 4 * c),
            _conv(4 * c, 4 * c, dilation=2), _conv(4 * c, 4 * c, dilation=4),
            _conv(4 * c, 4 * c, dilation=8), _conv(4 * c, 4 * c, dilation=16),
            _conv(4 * c, 4 * c), _conv(4 * c, 4 * c),
            nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1), nn.BatchNorm2d(2 * c), nn.ReLU(inplace=True),
            _conv(2 * c, 2 * c),
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
            _conv(c, c // 2), nn.Conv2d(c // 2, 3, 3, 1, 1), nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class GLCICDiscriminator(nn.Module):
    """Global (whole image) + local (patch around the hole) discriminators; their feature
    vectors are concatenated and a fully connected layer gives one logit (Iizuka et al. 2017)."""

    def __init__(self, size: int = 96, local_size: int = 48, width: int = 32):
        super().__init__()
        self.global_d = PatchDiscriminator(size, width, features=True)
        self.local_d = PatchDiscriminator(local_size, width, features=True)
        self.head = nn.Linear(self.global_d.out_features + self.local_d.out_features, 1)

    def forward(self, whole: torch.Tensor, local: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.global_d.embed(whole), self.local_d.embed(local)], 1)).squeeze(1)


# --- DCGAN ------------------------------------------------------------------------------------------------


class DCGANGenerator(nn.Module):
    """Radford et al.'s generator: z -> 4x4 -> ... -> size x size, tanh output."""

    def __init__(self, z_dim: int = 64, size: int = 64, width: int = 32):
        super().__init__()
        n_up = int(round(math.log2(size / 4)))
        c = width * 2 ** (n_up - 1)
        self.z_dim = z_dim
        layers: list[nn.Module] = [nn.ConvTranspose2d(z_dim, c, 4, 1, 0), nn.BatchNorm2d(c), nn.ReLU(True)]
        for _ in range(n_up - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
            c //= 2
        layers += [nn.ConvTranspose2d(c, 3, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.reshape(z.shape[0], -1, 1, 1))


# --- texture features for neural patch synthesis ----------------------------------------------------------


class RandomTextureFeatures(nn.Module):
    """The texture network of our neural patch synthesis: three 3x3 convolutions with ReLU
    (3 -> 16 -> 32 -> 32 channels, the second of stride 2), weights drawn at random from a
    fixed seed and never trained. Random-weight convolutional features are known to carry
    texture statistics (Ulyanov et al. 2018; He, Wang and Hopcroft 2016); a pretrained VGG is
    not available here."""

    def __init__(self, seed: int = 1234):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        shapes = [(16, 3), (32, 16), (32, 32)]
        self.convs = nn.ModuleList()
        for cout, cin in shapes:
            conv = nn.Conv2d(cin, cout, 3, 1, 1)
            with torch.no_grad():
                conv.weight.copy_(torch.randn(cout, cin, 3, 3, generator=gen) * math.sqrt(2.0 / (cin * 9)))
                conv.bias.zero_()
            conv.requires_grad_(False)
            self.convs.append(conv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.convs[0](x))
        x = torch.nn.functional.avg_pool2d(torch.relu(self.convs[1](x)), 2)
        return torch.relu(self.convs[2](x))

    @staticmethod
    def footprint(hole: torch.Tensor, patch: int = 3) -> torch.Tensor:
        """(N, 1, h, w) bool: the feature positions whose ``patch`` x ``patch`` patch depends on a
        pixel of ``hole`` (N, 1, H, W), i.e. the layers' receptive fields (3x3, 3x3, 2x2 pooling,
        3x3) followed back to the image."""
        f = torch.nn.functional
        x = hole.float()
        x = f.max_pool2d(f.max_pool2d(x, 3, 1, 1), 3, 1, 1)
        x = f.max_pool2d(f.max_pool2d(x, 2), 3, 1, 1)
        return f.max_pool2d(x, patch, 1, patch // 2) > 0


# --- LaMa-style network: fast Fourier convolutions ---------------------------------------------------------


class FourierUnit(nn.Module):
    """The global half of a fast Fourier convolution (Chi et al. 2020; LaMa): real FFT over the
    feature map (orthonormal), a 1x1 convolution + ReLU on the stacked real and imaginary parts,
    inverse FFT. Every output position sees the whole map. ReLU is positively homogeneous, so with
    the orthonormal transform the unit treats a feature map the same at any resolution. The FFT
    always runs in float32 (no bfloat16 FFT on a CPU)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(2 * channels, 2 * channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        with torch.autocast(x.device.type, enabled=False):
            spec = torch.fft.rfft2(x.float(), norm="ortho")
            z = torch.cat([spec.real, spec.imag], 1)
            z = torch.relu(self.conv(z.to(self.conv.weight.dtype)).float())
            re, im = z.chunk(2, 1)
            return torch.fft.irfft2(torch.complex(re.contiguous(), im.contiguous()), s=(h, w), norm="ortho")


class SpectralTransform(nn.Module):
    """LaMa's spectral transform: 1x1 down to half the channels, a Fourier unit with a residual
    path, 1x1 back up."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        mid = max(1, cout // 2)
        self.reduce = nn.Sequential(nn.Conv2d(cin, mid, 1), nn.ReLU(inplace=True))
        self.fourier = FourierUnit(mid)
        self.expand = nn.Conv2d(mid, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.reduce(x)
        return self.expand(y + self.fourier(y).to(y.dtype))


class FFC(nn.Module):
    """A fast Fourier convolution: channels split into a local part (3x3 convolutions) and a
    global part (spectral transform); the four paths l->l, g->l, l->g, g->g are summed."""

    def __init__(self, channels: int, ratio_global: float = 0.75):
        super().__init__()
        self.cg = int(round(channels * ratio_global))
        self.cl = channels - self.cg
        cl, cg = self.cl, self.cg
        pad = dict(padding=1, padding_mode="reflect")
        self.l2l = nn.Conv2d(cl, cl, 3, **pad)
        self.g2l = nn.Conv2d(cg, cl, 3, **pad)
        self.l2g = nn.Conv2d(cl, cg, 3, **pad)
        self.g2g = SpectralTransform(cg, cg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # l->l and g->l read the two halves of x: one convolution over all of x with their weights side by
        # side gives their sum (the input padded once, no sum of two maps)
        to_local = nn.functional.conv2d(nn.functional.pad(x, (1, 1, 1, 1), mode="reflect"),
                                        torch.cat([self.l2l.weight, self.g2l.weight], 1), self.l2l.bias + self.g2l.bias)
        return torch.cat([to_local, self.l2g(x[:, : self.cl]) + self.g2g(x[:, self.cl :])], 1)


class FFCResBlock(nn.Module):
    """Two FFCs with ELU between and after, and a residual connection (LaMa's FFC residual block,
    without normalisation: the recipe trains better on a CPU's small batches without it)."""

    def __init__(self, channels: int, ratio_global: float = 0.75):
        super().__init__()
        self.a, self.b = FFC(channels, ratio_global), FFC(channels, ratio_global)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.b(nn.functional.elu(self.a(nn.functional.elu(x))))


class LamaNet(nn.Module):
    """A small LaMa-style generator (Suvorov et al. 2022): RGB + mask in, a 7x7 stem, ``downs``
    stride-2 convolutions, ``blocks`` FFC residual blocks (a global receptive field from the first
    block on), nearest upsampling + 3x3 convolutions back to full size with additive skips from the
    encoder, sigmoid output. ELU, no normalisation. Fully convolutional: any size divisible by
    ``2**downs``."""

    def __init__(self, width: int = 32, blocks: int = 6, downs: int = 2, ratio_global: float = 0.75):
        super().__init__()
        pad = dict(padding_mode="reflect")
        self.stem = nn.Conv2d(4, width, 7, 1, 3, **pad)
        self.down = nn.ModuleList()
        c = width
        for _ in range(downs):
            self.down.append(nn.Conv2d(c, 2 * c, 3, 2, 1, **pad))
            c *= 2
        self.body = nn.Sequential(*[FFCResBlock(c, ratio_global) for _ in range(blocks)])
        self.up = nn.ModuleList()
        for _ in range(downs):
            self.up.append(nn.Conv2d(c, c // 2, 3, 1, 1, **pad))
            c //= 2
        self.head = nn.Conv2d(c, 3, 3, 1, 1, **pad)
        self.multiple = 2**downs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = nn.functional.elu
        y = act(self.stem(x))
        y = encode_decode(y, self.down, self.body, self.up, act)
        return torch.sigmoid(self.head(y))


class SNPatchCritic(nn.Module):
    """A PatchGAN critic (Isola et al. 2017) with spectral normalisation (Miyato et al. 2018):
    RGB + mask in (or any ``in_channels``), a map of real/fake scores, each seeing a patch of about 34 px."""

    def __init__(self, width: int = 32, in_channels: int = 4):
        super().__init__()
        sn = nn.utils.spectral_norm
        c = width
        self.net = nn.Sequential(
            sn(nn.Conv2d(in_channels, c, 4, 2, 1)), nn.LeakyReLU(0.2, True),
            sn(nn.Conv2d(c, 2 * c, 4, 2, 1)), nn.LeakyReLU(0.2, True),
            sn(nn.Conv2d(2 * c, 4 * c, 4, 1, 1)), nn.LeakyReLU(0.2, True),
            sn(nn.Conv2d(4 * c, 1, 4, 1, 1)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def build(kind: str, **sizes) -> nn.Module:
    """Rebuild a network from its saved config (``kind`` and keyword sizes)."""
    table = {
        "context_encoder": ContextEncoder,
        "context_encoder_d": PatchDiscriminator,
        "glcic": CompletionNet,
        "glcic_d": GLCICDiscriminator,
        "dcgan_g": DCGANGenerator,
        "dcgan_d": PatchDiscriminator,
        "lama": LamaNet,
        "sn_patch_critic": SNPatchCritic,
    }
    from .restoration_nets import NETWORKS  # the restoration networks (applications, part 2)

    table.update(NETWORKS)
    return table[kind](**sizes)
