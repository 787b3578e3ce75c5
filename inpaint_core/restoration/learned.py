"""Learned restorers, trained by this project's own command (``python -m inpaint_core.train``, see
:mod:`inpaint_core.networks.train_restoration`), with weights in ``weights/<model>/`` checked against
their SHA-256 manifest: a de-mosaicing ResNet for faces (L2, and adversarially fine-tuned) and for
scenes (Dahl, Norouzi, Shlens 2017), DeblurGAN (Kupyn et al. 2018) and DID-MDN (Zhang and Patel 2018).
Large images run in overlapping tiles, with progress.
"""

from __future__ import annotations

from typing import ClassVar

import cv2
import numpy as np

from ..base import Citation, MethodCard, Param
from ..networks import flips_param, weights
from .base import RestorationMethod
from .demosaic import Mosaic, upsample_means

TILE = 768  # px: larger images run in tiles of this size (bounded memory)
OVERLAP = 32  # px of context each tile reads beyond the part it keeps


def tiled(fn, image: np.ndarray, multiple: int, ctx, tile: int = TILE, overlap: int = OVERLAP) -> np.ndarray:
    """``fn`` (a B3HW float32 tensor -> the same) over ``image`` (H, W, 3) in tiles of at most ``tile``
    px that read ``overlap`` px of context on each side, each padded by reflection to a multiple of
    ``multiple``; the parts kept tile the image exactly."""
    torch = weights.limited_torch()
    h, w = image.shape[:2]
    out = np.empty_like(image)
    step = tile - 2 * overlap if max(h, w) > tile else max(h, w)
    tops, lefts = range(0, h, step), range(0, w, step)
    done, total = 0, len(tops) * len(lefts)
    for top in tops:
        for left in lefts:
            y0, x0 = max(0, top - overlap), max(0, left - overlap)
            y1, x1 = min(h, top + step + overlap), min(w, left + step + overlap)
            part = image[y0:y1, x0:x1]
            ph, pw = (-part.shape[0]) % multiple, (-part.shape[1]) % multiple
            border = cv2.BORDER_REFLECT_101 if min(part.shape[:2]) > 1 else cv2.BORDER_REPLICATE  # reflection needs 2 px
            padded = cv2.copyMakeBorder(part, 0, ph, 0, pw, border) if ph or pw else part
            x = torch.from_numpy(np.ascontiguousarray(padded.reshape(*padded.shape[:2], -1).transpose(2, 0, 1)))[None]
            with torch.no_grad():
                y = fn(x.float())[0].float().numpy().transpose(1, 2, 0)
            keep_y, keep_x = top - y0, left - x0
            kh, kw = min(step, h - top), min(step, w - left)
            out[top : top + kh, left : left + kw] = y[keep_y : keep_y + kh, keep_x : keep_x + kw]
            done += 1
            ctx.progress(done / total, f"tile {done} of {total}")
    return out


class _Learned(RestorationMethod, abstract=True):
    """What the learned restorers share: their weights and the availability that follows."""

    needs_weights = True
    speed = "medium"
    model: ClassVar[str]

    def availability(self) -> tuple[bool, str]:
        return weights.check(self.model)

    def networks(self) -> dict:
        return weights.load(self.model)[1]


_DAHL = Citation("R. Dahl, M. Norouzi, J. Shlens", "Pixel Recursive Super Resolution (the regression ResNet)",
                 "ICCV", 2017, "https://arxiv.org/abs/1702.00783")


class _MosaicNet(_Learned, abstract=True):
    """De-mosaicing by a ResNet that corrects the bicubic upsampling of the block means, run on the
    region's bounding box with a margin of context; pixels outside the region are kept."""

    task = "demosaic"
    needs = ("block",)
    citation = _DAHL
    version = "2"  # 2: the decoder's upsampling convolutions run on the small map (equal up to float rounding)
    margin_blocks = 4  # context read around the region, in blocks

    def run(self, image, params, ctx, *, block: Mosaic, **extra):
        torch = weights.limited_torch()
        net = self.networks()["generator_ema"]
        up = upsample_means(image, block.mask, block.block, block.offset, cv2.INTER_CUBIC)
        if not block.mask.any():
            return up  # nothing mosaicked: the image as it is
        left, top, bw, bh = block.box
        m = self.margin_blocks * block.block
        y0, x0 = max(0, top - m), max(0, left - m)
        y1, x1 = min(image.shape[0], top + bh + m), min(image.shape[1], left + bw + m)
        size = torch.tensor([float(block.block)])
        restored = tiled(lambda x: net(x, size.expand(len(x))), up[y0:y1, x0:x1], net.multiple, ctx)
        out = up.copy()
        region = block.mask[y0:y1, x0:x1]
        out[y0:y1, x0:x1][region] = restored[region]
        return out


class FaceMosaicResNet(_MosaicNet):
    name = "mosaic_face_resnet"
    title = "Face de-mosaicing ResNet (L2)"
    model = "demosaic_faces_l2"
    card = MethodCard(idea="A residual network trained here on CelebA faces (the test faces left out) to turn the "
                      "bicubic upsampling of a mosaic's block means into the face: Dahl et al.'s regression "
                      "baseline. Trained with L2, it predicts the mean of the faces that fit the blocks.",
                      formula=r"\min_\theta \|f_\theta(\mathrm{bicubic}(\bar y), b) - x\|_2^2",
                      fails_when="Blocks of 8 px and more on a face: many faces fit, and their mean is smooth; "
                      "on other subjects it adds face-like shading.")


class FaceMosaicGAN(_MosaicNet):
    name = "mosaic_face_gan"
    title = "Face de-mosaicing ResNet (L2 + adversarial)"
    model = "demosaic_faces_gan"
    card = MethodCard(idea="The L2 face network fine-tuned with a small adversarial term (a spectral-norm PatchGAN "
                      "that sees the bicubic input beside the candidate): sharper, more face-like detail, at some "
                      "cost in PSNR, as Dahl et al. report for their sampled outputs.",
                      formula=r"\min_\theta \|f_\theta - x\|_2^2 + \lambda\,\mathcal{L}_{adv}",
                      fails_when="The detail it adds is plausible, not true: never use it to identify a person.")


class SceneMosaicResNet(_MosaicNet):
    name = "mosaic_scene_resnet"
    title = "Scene de-mosaicing ResNet (L2)"
    model = "demosaic_scenes"
    card = MethodCard(idea="The same residual network trained on scene photos (BSDS500 and ImageNet samples, "
                      "the BSD68 test photos left out): for mosaics over text, plates, objects.",
                      formula=r"\min_\theta \|f_\theta(\mathrm{bicubic}(\bar y), b) - x\|_2^2",
                      fails_when="Detail much finer than a block: it sharpens edges, it cannot bring texture back.")


class DeblurGAN(_Learned):
    name = "deblurgan"
    title = "DeblurGAN (blind)"
    task = "deblur"
    model = "deblurgan_scenes"
    citation = Citation("O. Kupyn, V. Budzan, M. Mykhailych, D. Mishkin, J. Matas",
                        "DeblurGAN: Blind Motion Deblurring Using Conditional Adversarial Networks", "CVPR", 2018,
                        "https://doi.org/10.1109/CVPR.2018.00854")
    card = MethodCard(idea="A generator (two strided convolutions, nine residual blocks with instance normalisation, "
                      "two transposed convolutions, a global skip) trained here against a conditional WGAN-GP "
                      "critic with a content loss, on camera-shake blur synthesised from scene photos. Blind: it "
                      "never sees the kernel.",
                      formula=r"\mathcal{L} = \mathcal{L}_{WGAN\text{-}GP} + 100\,\mathcal{L}_{content}",
                      fails_when="Blur longer than the 31 px kernels it was trained on, defocus, or noise.")
    params = (flips_param(),)

    def run(self, image, params, ctx, **extra):
        from ..networks.blocks import mirror_ensemble

        net = self.networks()["generator_ema"]

        def ensemble(x):
            return mirror_ensemble(net, x, params["flips"])

        return np.clip(tiled(ensemble, image, net.multiple, ctx), 0, 1)


DENSITIES = ("light", "medium", "heavy")
CLASSIFY_SIDE = 1024  # px: the classifier reads at most this long a side


class DIDMDN(_Learned):
    name = "did_mdn"
    title = "DID-MDN (density-aware multi-stream dense network)"
    task = "derain"
    model = "didmdn_scenes"
    citation = Citation("H. Zhang, V. M. Patel", "Density-aware Single Image De-raining using a Multi-stream Dense "
                        "Network", "CVPR", 2018, "https://doi.org/10.1109/CVPR.2018.00079")
    params = (Param("density", "auto", "The rain density the network is conditioned on (auto: the classifier's).",
                    choices=("auto", *DENSITIES)),)
    card = MethodCard(idea="A classifier estimates the rain's density (light, medium, heavy); three streams of "
                      "dense blocks with 3, 5 and 7 px kernels, conditioned on that label, estimate the rain "
                      "layer, which is subtracted. Trained here on rain synthesised over scene photos.",
                      formula=r"\hat x = y - g_\theta(y, \hat d),\ \hat d = \arg\max c_\phi(y)",
                      fails_when="Rain unlike the synthetic streaks (drops on the lens, fog, very wide streaks).")

    def classify(self, image: np.ndarray) -> tuple[str, np.ndarray]:
        """(the density label, its three probabilities) for an (H, W, 3) image in [0, 1]."""
        torch = weights.limited_torch()
        scale = CLASSIFY_SIDE / max(image.shape[:2])
        if scale < 1:  # density is a share of the area: a smaller copy tells it, at a bounded cost
            image = cv2.resize(image, (max(8, round(image.shape[1] * scale)), max(8, round(image.shape[0] * scale))),
                               interpolation=cv2.INTER_AREA)
        x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None].float()
        with torch.no_grad():
            p = torch.softmax(self.networks()["classifier"](x), 1)[0].numpy()
        return DENSITIES[int(p.argmax())], p

    def run(self, image, params, ctx, **extra):
        torch = weights.limited_torch()
        density = params["density"] if params["density"] != "auto" else self.classify(image)[0]
        label = torch.tensor([DENSITIES.index(density)])
        net = self.networks()["generator_ema"]
        return np.clip(tiled(lambda x: net(x, label.expand(len(x))), image, net.multiple, ctx), 0, 1)
