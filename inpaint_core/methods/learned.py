"""Learned methods: networks trained by this project's own code (``python -m inpaint_core.train``).

Context Encoder (Pathak et al. 2016), Globally and Locally Consistent Image Completion
(Iizuka et al. 2017), semantic inpainting with a DCGAN (Yeh et al. 2017), multi-scale
neural patch synthesis (Yang et al. 2017), and, after the survey, a LaMa-style network with fast
Fourier convolutions (Suvorov et al. 2022). Weights live in ``weights/<model>/`` with a SHA-256
manifest (:mod:`inpaint_core.networks.weights`); a missing or corrupted file makes the method
unavailable with a clear reason. torch is imported only when a method actually runs.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from ..base import Citation, InpaintMethod, MethodCard, Param
from ..networks import flips_param, weights
from ..geometry import hole_box
from ..poisson import poisson_blend
from ..fast_marching import telea_fill

_torch = weights.limited_torch


def _interpolation(src_hw, dst_hw) -> int:
    """Area averaging when shrinking, bicubic when enlarging (OpenCV's flags)."""
    return cv2.INTER_AREA if dst_hw[0] * dst_hw[1] < src_hw[0] * src_hw[1] else cv2.INTER_CUBIC


def _resize(img: np.ndarray, side_w: int, side_h: int) -> np.ndarray:
    return cv2.resize(img, (side_w, side_h), interpolation=_interpolation(img.shape[:2], (side_h, side_w)))


def _taps(n_src: int, n_dst: int, interp: int) -> np.ndarray:
    """(n_dst, n_src) 0/1 matrix: the source rows each output row of ``cv2.resize`` reads. OpenCV's
    resize is separable, so resizing an identity matrix along one axis gives its weights."""
    out = np.empty((n_dst, n_src), np.float32)
    eye = np.eye(n_src, dtype=np.float32)
    for c0 in range(0, n_src, 1024):  # column blocks: an identity of a large image does not fit at once
        block = np.ascontiguousarray(eye[:, c0 : c0 + 1024])
        out[:, c0 : c0 + block.shape[1]] = cv2.resize(block, (block.shape[1], n_dst), interpolation=interp) != 0
    return out


def _resize_mask(mask: np.ndarray, side_w: int, side_h: int) -> np.ndarray:
    """The hole after :func:`_resize`: every output pixel whose interpolation taps (bicubic: 4x4
    source pixels; area: the covered ones) touch a hole pixel. The pixels left known are then
    resizes of known pixels only, whatever the hole holds, and a one-pixel hole never vanishes."""
    h, w = mask.shape
    interp = _interpolation((h, w), (side_h, side_w))
    return _taps(h, side_h, interp) @ mask.astype(np.float32) @ _taps(w, side_w, interp).T > 0


# GLCIC's post-processing "fast marching": Telea's fill at 16 bits, radius 5 (the shared helper)
fast_marching = functools.partial(telea_fill, radius=5, depth=16)


def _network_view(win: np.ndarray, wmask: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A window as a fixed-size network reads it: resized to ``size`` x ``size``, with the hole grown
    to every pixel the resize mixes with it (:func:`_resize_mask`), so that no hole value reaches a
    pixel the network treats as known (the grown ring is read as hole, never used as known)."""
    return _resize(win, size, size), _resize_mask(wmask, size, size)


def _window(image: np.ndarray, mask: np.ndarray, fraction: float, minimum: int, extra: int = 0):
    """A square window centred on the hole's bounding box, of side ``max(bbox side / fraction,
    minimum) + extra``, cut from the image with reflected borders where it leaves the image.
    Returns (window image, window mask, (top, left, side)) in image coordinates."""
    ys, xs = np.nonzero(mask)
    cy, cx = (ys.min() + ys.max() + 1) / 2, (xs.min() + xs.max() + 1) / 2
    bside = max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1)
    side = int(max(math.ceil(bside / fraction), minimum)) + extra
    top, left = int(round(cy - side / 2)), int(round(cx - side / 2))
    h, w = mask.shape
    pad = max(0, -top, -left, top + side - h, left + side - w)
    if pad:
        reps = pad // max(min(h, w) - 1, 1) + 1  # reflect several times for windows far larger than the image
        img_p, msk_p = image, mask.astype(np.uint8)
        for _ in range(reps):
            p = min(pad, min(img_p.shape[:2]) - 1)
            img_p = cv2.copyMakeBorder(img_p, p, p, p, p, cv2.BORDER_REFLECT_101)
            msk_p = cv2.copyMakeBorder(msk_p, p, p, p, p, cv2.BORDER_REFLECT_101)
        off = (img_p.shape[0] - h) // 2
    else:
        img_p, msk_p, off = image, mask.astype(np.uint8), 0
    win = img_p[top + off : top + off + side, left + off : left + off + side]
    wmask = msk_p[top + off : top + off + side, left + off : left + off + side].astype(bool)
    return np.ascontiguousarray(win), wmask, (top, left, side)


def _paste_window(image: np.ndarray, mask: np.ndarray, prediction: np.ndarray, box) -> np.ndarray:
    """The image with the whole window ``box`` (clipped to the image) replaced by ``prediction``:
    Poisson blending then follows the prediction's own gradients at the hole's edge too."""
    top, left, side = box
    h, w = mask.shape
    r0, r1, c0, c1 = max(top, 0), min(top + side, h), max(left, 0), min(left + side, w)
    out = image.copy()
    out[r0:r1, c0:c1] = prediction[r0 - top : r1 - top, c0 - left : c1 - left]
    return out


def _blend(image: np.ndarray, mask: np.ndarray, source: np.ndarray) -> np.ndarray:
    """Poisson blending (Perez et al. 2003) of ``source`` into ``image``'s hole, solved on the
    hole's bounding box only (the solution depends only on the hole and its boundary)."""
    box = hole_box(mask, 1)
    out = image.copy()
    out[box] = poisson_blend(image[box], source[box], mask[box])
    return np.clip(out, 0, 1).astype(np.float32)


class LearnedMethod(InpaintMethod, abstract=True):
    """What every learned method shares: its family, its weights (``weights/<model>/``, checked
    against their SHA-256 manifest) and the availability that follows from them."""

    family = "learned"
    needs_weights = True
    model: str  # the folder under weights/ that holds the network

    def availability(self) -> tuple[bool, str]:
        """(True, "") if the model's weights are present and intact, else (False, how to get them)."""
        return weights.check(self.model)


_FACES_NOTE = "Trained on 64 px CelebA faces: on other images it still runs, but expect face-like colours and shapes."


def _centre_window(image: np.ndarray, mask: np.ndarray, size: int, inner: int):
    """The smallest window (from the hole's bounding box fitted to the ``inner`` centre region) whose
    hole, as the network reads it (grown by the resize, :func:`_resize_mask`), lies inside that
    region: Pathak et al. train with the ring around it always known. Only the image's own hole
    counts (not its reflections where the window leaves the image). Returns the window, its mask,
    its box and the network's view (image, hole)."""
    lo, hi = (size - inner) // 2, (size + inner) // 2
    h, w = mask.shape
    extra = 0
    while True:
        win, wmask, (top, left, side) = _window(image, mask, inner / size, size // 2, extra)
        own = np.zeros_like(wmask)
        rows, cols = slice(max(0, -top), min(side, h - top)), slice(max(0, -left), min(side, w - left))
        own[rows, cols] = wmask[rows, cols]
        ys, xs = np.nonzero(_resize_mask(own, size, size))
        if (min(ys.min(), xs.min()) >= lo and max(ys.max(), xs.max()) < hi) or extra > 4 * size:
            return (win, wmask, (top, left, side), *_network_view(win, wmask, size))
        extra += max(1, side // 32)


class ContextEncoder(LearnedMethod):
    """Context Encoder, Pathak et al. 2016: encoder, channel-wise fully connected layer, decoder."""

    name = "context_encoder"
    version = "2"  # 2: the resized hole grown by the resize's reach (no hole value read as known)
    title = "Context Encoder (scenes, 128 px)"
    speed = "fast"
    model = "context_encoder_scenes"
    citation = Citation(
        "D. Pathak, P. Krähenbühl, J. Donahue, T. Darrell, A. A. Efros", "Context Encoders: Feature Learning by Inpainting",
        "CVPR", 2016, "https://doi.org/10.1109/CVPR.2016.278",
    )
    params = (Param("blend", True, "Poisson-blend the prediction into the image (else paste it)."), flips_param())
    card = MethodCard(
        idea="A convolutional encoder compresses the image around the hole, a channel-wise fully connected layer "
        "spreads information across the whole region, and a decoder paints the centre region. It is trained with "
        "an L2 loss (overlap with the known border weighted x10) plus a small adversarial loss. "
        "It is a fixed-size model: the hole is cut out in a square window, resized to the model's size (128 px), "
        "filled and blended back; the resized hole is grown by the resize's reach, so that no hole value is read "
        "as a known pixel.",
        formula=r"\mathcal{L} = \lambda_{rec}\|\hat M \odot (x - F((1-\hat M)\odot x))\|_2^2 + \lambda_{adv}\,\mathcal{L}_{adv}",
        fails_when="Holes that are not compact (the window grows with the hole's bounding box and detail is lost) "
        "and high resolution (the prediction is 64x64 pixels, upscaled); this small CPU-trained model is far "
        "weaker than the paper's.",
    )

    def fill(self, image, mask, params, ctx):
        torch = _torch()
        from ..networks.blocks import mirror_ensemble

        cfg, nets = weights.load(self.model)
        size, ov = cfg["size"], cfg["overlap"]
        win, wmask, box, x, m = _centre_window(image, mask, size, size // 2 - 2 * ov)
        side = box[2]
        ctx.progress(0.2, "Context Encoder: encoding the context")
        inp = torch.from_numpy(np.concatenate([(x * 2 - 1) * ~m[..., None], m[..., None]], 2).transpose(2, 0, 1).copy())
        with torch.no_grad():
            # the centre region is symmetric in the window: the mirrored patch is the mirrored window's
            patch = mirror_ensemble(nets["generator"], inp[None].float(), params["flips"])[0].numpy().transpose(1, 2, 0)
        canvas = x.copy()
        canvas[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = (patch + 1) / 2
        prediction = _resize(np.clip(canvas, 0, 1).astype(np.float32), side, side)
        source = _paste_window(image, mask, prediction, box)
        if ctx.trace is not None:
            ctx.trace.network = {"network_input": x * ~m[..., None], "network_known": ~m, "network_output": canvas,
                                    "window": box}
        ctx.progress(0.7, "Context Encoder: Poisson blending")
        return _blend(image, mask, source) if params["blend"] else source


class ContextEncoderFaces(ContextEncoder):
    """The same Context Encoder trained on 64 px CelebA faces (the survey's face experiment)."""

    name = "context_encoder_faces"
    version = "3"  # 3: averaged with its mirror image by default (held-back faces: +0.18 dB hole PSNR)
    title = "Context Encoder (faces, 64 px)"
    trained_on = "faces"
    model = "context_encoder_faces"
    params = (ContextEncoder.params[0], flips_param(2))  # chosen on the held-back faces (networks.heldback)
    card = MethodCard(
        idea=ContextEncoder.card.idea.replace("(128 px)", "(64 px)") + " " + _FACES_NOTE,
        formula=ContextEncoder.card.formula,
        fails_when="Holes that are not compact, anything that is not a face, and high resolution (the prediction "
        "is 32x32 pixels, upscaled).",
    )


def glcic_complete(image: np.ndarray, mask: np.ndarray, cfg: dict, net, flips: int = 1) -> np.ndarray:
    """Run the completion network on the whole image (padded to a multiple of 4), averaged over
    ``flips`` mirror images."""
    torch = _torch()
    from ..networks.blocks import mirror_ensemble

    h, w = mask.shape
    ph, pw = (-h) % 4, (-w) % 4
    mean = np.asarray(cfg["mean_pixel"], np.float32)
    filled = np.where(mask[..., None], mean, image).astype(np.float32)
    inp = np.concatenate([filled, mask[..., None].astype(np.float32)], 2)
    if ph or pw:
        inp = cv2.copyMakeBorder(inp, 0, ph, 0, pw, cv2.BORDER_REFLECT_101 if min(h, w) > 1 else cv2.BORDER_REPLICATE)
    with torch.no_grad():
        out = mirror_ensemble(net, torch.from_numpy(inp.transpose(2, 0, 1).copy())[None], flips)
    return out[0].numpy().transpose(1, 2, 0)[:h, :w].astype(np.float32)


GLCIC_FMM_WEIGHT = 0.5  # weight of the fast-marching fill in the post-processing's blend


def glcic_postprocess(image: np.ndarray, mask: np.ndarray, completed: np.ndarray,
                      fmm_weight: float = GLCIC_FMM_WEIGHT) -> np.ndarray:
    """Iizuka et al. 2017's post-processing: the completed region is blended with the colour of the
    surrounding pixels, filled in by fast marching (Telea 2004), then Poisson-blended (Perez et al.
    2003) into the image. The paper gives no weight: the source is the even mix
    ``(1 - w) completed + w fast_marching`` (w = 0.5), the plainest reading of "blending". As the
    fast-marching fill already agrees with the known pixels, the result is that mix of the
    Poisson-blended output and the fast-marching fill; ``fmm_weight=0`` is Poisson blending alone."""
    source = completed  # the whole output: its gradients across the hole's edge guide the solve too
    if fmm_weight:
        source = ((1 - fmm_weight) * completed + fmm_weight * fast_marching(image, mask)).astype(np.float32)
    return _blend(image, mask, source)


class GLCIC(LearnedMethod):
    """Globally and Locally Consistent Image Completion, Iizuka, Simo-Serra and Ishikawa 2017."""

    name = "glcic"
    version = "2"  # 2: post-processing blends the fast-marching fill in before Poisson blending
    title = "Globally and locally consistent completion (scenes)"
    speed = "medium"
    model = "glcic_scenes"
    context_margin = 96
    citation = Citation(
        "S. Iizuka, E. Simo-Serra, H. Ishikawa", "Globally and Locally Consistent Image Completion",
        "ACM Transactions on Graphics 36(4) (SIGGRAPH)", 2017, "https://doi.org/10.1145/3072959.3073659",
    )
    params = (Param("postprocess", True, "Blend the network's output with a fast-marching fill, then Poisson-blend it "
                    "(the paper's post-processing); else the raw output."), flips_param())
    card = MethodCard(
        idea="A fully convolutional completion network with dilated convolutions in its middle sees a wide context "
        "and fills holes of any shape at the image's own resolution. It is trained first with a reconstruction loss, "
        "then against a global and a local discriminator so that the fill is consistent with the whole image and "
        "sharp in the hole. Post-processing as in the paper: the output is mixed evenly with a fast-marching fill "
        "(Telea 2004), which carries the colours around the hole, then Poisson-blended into the image.",
        formula=r"\min_C \max_D \mathbb{E}[L(x, M_c) + \alpha \log D(x, M_d) + \alpha \log(1 - D(C(x, M_c), M_c))]",
        fails_when="Holes much larger than the ones seen in training (a grey, blurred fill), and structures it never "
        "saw; this small CPU-trained model is far weaker than the paper's.",
    )

    def fill(self, image, mask, params, ctx):
        cfg, nets = weights.load(self.model)
        ctx.progress(0.1, "GLCIC: completion network")
        completed = glcic_complete(image, mask, cfg, nets["completion"], params["flips"])
        if ctx.trace is not None:  # at the image's own resolution: no resize mixes hole and known pixels
            ctx.trace.network = {"network_output": completed, "network_known": ~mask}
        if not params["postprocess"]:
            return completed
        ctx.progress(0.7, "GLCIC: fast marching + Poisson blending")
        return glcic_postprocess(image, mask, completed)


class GLCICFaces(GLCIC):
    """The same completion network and post-processing, trained on 64 px CelebA faces."""

    name = "glcic_faces"
    title = "Globally and locally consistent completion (faces)"
    trained_on = "faces"
    model = "glcic_faces"
    card = MethodCard(
        idea=GLCIC.card.idea + " " + _FACES_NOTE,
        formula=GLCIC.card.formula,
        fails_when="Anything that is not a frontal face at about the training scale (faces filling a 64 px crop); "
        "holes much larger than in training; this small CPU-trained model is far weaker than the paper's.",
    )


def importance_weights(known: np.ndarray, window: int = 7) -> np.ndarray:
    """Yeh et al.'s W: for a known pixel, the fraction of hole pixels in its ``window`` x ``window``
    neighbourhood; 0 in the hole (known pixels far from the hole do not matter)."""
    hole_share = cv2.blur((~known).astype(np.float32), (window, window), borderType=cv2.BORDER_REFLECT)
    return np.where(known, hole_share, 0.0).astype(np.float32)


class SemanticDCGAN(LearnedMethod):
    """Semantic image inpainting with deep generative models, Yeh et al. 2017 (a DCGAN on 64 px faces)."""

    name = "semantic_dcgan"
    version = "3"  # 2: the resized hole grown by the resize's reach (no hole value read as known); 3: 60 steps of 0.2
    title = "Semantic inpainting, DCGAN (faces, 64 px)"
    speed = "medium"
    trained_on = "faces"
    model = "dcgan_faces"
    citation = Citation(
        "R. A. Yeh, C. Chen, T. Y. Lim, A. G. Schwing, M. Hasegawa-Johnson, M. N. Do",
        "Semantic Image Inpainting with Deep Generative Models", "CVPR", 2017, "https://doi.org/10.1109/CVPR.2017.728",
    )
    params = (
        Param("iterations", 60, "Adam steps on z (scaled down to 40, with at most 4 restarts, for holes under 32x32 px). "
              "On the test faces 300 steps of 0.03 score as 60 of 0.2, in five times the time (`semantic_dcgan_300` in "
              "bench/learned.py).", 10, 3000, 10),
        Param("restarts", 8, "Random starting z optimised in parallel; the best is kept.", 1, 64, 1),
        Param("step_size", 0.2, "Adam step on z (z lies in [-1, 1]).", 0.001, 0.5, 0.001),
        Param("prior_weight", 0.003, "lambda of the prior loss lambda*log(1 - D(G(z))).", 0.0, 1.0, 0.001),
        Param("window", 7, "Side of the neighbourhood of the importance weights W.", 3, 21, 2),
    )
    card = MethodCard(
        idea="A DCGAN generator G learned what faces look like; inpainting searches the latent code z whose image "
        "G(z) best agrees with the known pixels near the hole (weighted by W) while the discriminator still finds it "
        "real. G(z) is then Poisson-blended into the hole. " + _FACES_NOTE,
        formula=r"\hat z = \arg\min_z \|W \odot (G(z) - y)\|_1 + \lambda \log(1 - D(G(z)))",
        fails_when="Anything outside what the generator can produce (non-faces, unusual poses), and holes that are "
        "not compact; the result depends on the starting z (the seed).",
    )

    def fill(self, image, mask, params, ctx):
        torch = _torch()
        cfg, nets = weights.load(self.model)
        G, D = nets["generator"], nets["discriminator"]
        size, z_dim = cfg["size"], cfg["z_dim"]
        win, wmask, box = _window(image, mask, 0.6, minimum=size // 2)
        side = box[2]
        y, m = _network_view(win, wmask, size)
        known = ~m
        W = importance_weights(known, params["window"])
        iters, restarts = params["iterations"], params["restarts"]
        hole_px = int(mask.sum())
        if hole_px < 1024:  # small holes (under 32x32 px) are explained by few pixels: a shorter search
            iters = min(iters, max(40, int(iters * hole_px / 1024)))
            restarts = min(restarts, 4)
        y_t = torch.from_numpy((y * 2 - 1).transpose(2, 0, 1).copy())[None]
        w_t = torch.from_numpy(W)[None, None]
        gen = torch.Generator().manual_seed(int(ctx.rng.integers(2**31)))
        z = (torch.rand(restarts, z_dim, generator=gen) * 2 - 1).requires_grad_(True)
        opt = torch.optim.Adam([z], lr=params["step_size"])
        lam = params["prior_weight"]
        for p in list(G.parameters()) + list(D.parameters()):
            p.requires_grad_(False)
        losses = []
        for it in range(iters):
            g = G(z)
            context = (w_t * (g - y_t)).abs().flatten(1).sum(1)
            prior = -torch.nn.functional.softplus(D(g))  # log(1 - sigmoid(logit))
            loss = context + lam * prior
            opt.zero_grad()
            loss.sum().backward()
            opt.step()
            with torch.no_grad():
                z.clamp_(-1, 1)
            losses.append(loss.detach().min().item())
            if it == 0:  # the context loss of the best random starting z, for the trace
                context_start = float(context.detach().min())
            if it % 10 == 0 or it == iters - 1:
                ctx.progress(0.05 + 0.85 * (it + 1) / iters, f"Semantic inpainting: z search {it + 1}/{iters}")
        with torch.no_grad():
            g = G(z)
            context = (w_t * (g - y_t)).abs().flatten(1).sum(1)
            best = int(torch.argmin(context + lam * -torch.nn.functional.softplus(D(g))))
            gz = ((g[best].numpy().transpose(1, 2, 0) + 1) / 2).clip(0, 1).astype(np.float32)
        prediction = _resize(gz, side, side)
        source = _paste_window(image, mask, prediction, box)
        if ctx.trace is not None:
            ctx.trace.network = {"G(z)": gz, "W": W, "loss_per_iteration": np.array(losses), "window": box,
                                    "network_input": y * known[..., None], "network_known": known,
                                    "context_loss_start": context_start, "context_loss_end": float(context[best])}
        ctx.progress(0.95, "Semantic inpainting: Poisson blending")
        return _blend(image, mask, source)


def _patch_matrix(torch, feats, positions, k: int = 3):
    """(N, C*k*k) feature patches at ``positions`` (flat indices of the feature map)."""
    cols = torch.nn.functional.unfold(feats, k, padding=k // 2)[0]  # (C*k*k, H*W)
    return cols[:, positions].T


class NeuralPatchSynthesis(LearnedMethod):
    """Multi-scale neural patch synthesis, Yang et al. 2017, with GLCIC as content network and a
    random-weight convolutional network as texture network."""

    name = "neural_patch_synthesis"
    version = "2"  # 2: texture candidates from the texture network's exact receptive field; GLCIC v2
    title = "Multi-scale neural patch synthesis"
    speed = "slow"
    model = "glcic_scenes"
    context_margin = 64
    citation = Citation(
        "C. Yang, X. Lu, Z. Lin, E. Shechtman, O. Wang, H. Li",
        "High-Resolution Image Inpainting using Multi-Scale Neural Patch Synthesis", "CVPR", 2017,
        "https://doi.org/10.1109/CVPR.2017.434",
    )
    params = (
        Param("iterations", 30, "Optimisation steps per scale.", 0, 300, 5),
        Param("texture_weight", 1.0, "alpha: weight of the texture term (0 = content network + TV only).", 0.0, 100.0, 0.1),
        Param("tv_weight", 0.05, "beta: weight of the total-variation term.", 0.0, 10.0, 0.01),
        Param("coarse_side", 128, "Long side (px) of the coarsest scale, where the content network runs.", 32, 512, 16),
        Param("step_size", 0.003, "Adam step on the pixel values (0-1 scale).", 0.0001, 0.1, 0.0005),
    )
    card = MethodCard(
        idea="A content network (here our GLCIC model) predicts the hole at low resolution; then, scale by scale up "
        "to the image's size, the fill is optimised to stay close to the upsampled prediction while its feature "
        "patches match their nearest neighbours outside the hole, which brings back sharp texture. Our texture "
        "network is a fixed random-weight CNN (3 conv layers), since no pretrained VGG is available here.",
        formula=r"\tilde x = \arg\min_x \|h(x,R) - h(x_i,R)\|_2^2 + \alpha \tfrac{1}{|R^\phi|}\sum_{i\in R^\phi}\|h(\phi(x),P_i) - h(\phi(x),P_{nn(i)})\|_2^2 + \beta\,\Upsilon(x)",
        fails_when="Wrong structure from the content network cannot be repaired by the texture term; repetitive "
        "patches can be copied into places where they do not belong; slow at high resolution.",
    )

    def fill(self, image, mask, params, ctx):
        torch = _torch()
        from ..networks.nets import RandomTextureFeatures

        cfg, nets = weights.load(self.model)
        h, w = mask.shape
        n_up = max(0, math.ceil(math.log2(max(h, w) / params["coarse_side"])))
        shapes = [(max(1, round(h / 2**k)), max(1, round(w / 2**k))) for k in range(n_up, -1, -1)]
        features = RandomTextureFeatures()
        iters, alpha, beta = params["iterations"], params["texture_weight"], params["tv_weight"]
        hole_px = int(mask.sum())
        if hole_px < 1024:  # small holes: fewer steps (they converge fast, and the app stays responsive)
            iters = max(3, int(iters * hole_px / 1024)) if iters else 0
        total = max(1, len(shapes) * (iters + 1))
        done = 0
        trace_scales = []
        current = None
        for s_idx, (sh, sw) in enumerate(shapes):
            img_s = image if (sh, sw) == (h, w) else _resize(image, sw, sh)
            m_s = mask if (sh, sw) == (h, w) else _resize_mask(mask, sw, sh)
            if not m_s.any():
                continue
            if current is None:
                ctx.progress(done / total, "Neural patch synthesis: content network")
                current = glcic_postprocess(img_s, m_s, glcic_complete(img_s, m_s, cfg, nets["completion"]))
                content_prediction = current.copy()
            else:
                current = _resize(current, sw, sh)
            ref = torch.from_numpy(np.where(m_s[..., None], current, img_s).transpose(2, 0, 1).copy())[None]
            hole = torch.from_numpy(m_s[None, None].astype(np.float32))
            x = ref.clone().requires_grad_(True)
            opt = torch.optim.Adam([x], lr=params["step_size"])
            # texture: queries are the feature patches that depend on a hole pixel, candidates the rest
            # (they see known pixels only, so the fill can never be matched to itself)
            touch = features.footprint(hole)[0, 0].numpy()
            queries = np.flatnonzero(touch.ravel())
            candidates = np.flatnonzero(~touch.ravel())
            use_texture = alpha > 0 and iters > 0 and queries.size > 0 and candidates.size > 0
            if use_texture and candidates.size > 2048:
                candidates = np.sort(ctx.rng.choice(candidates, 2048, replace=False))
            q_t, c_t = torch.from_numpy(queries), torch.from_numpy(candidates)
            nn_idx = None
            for it in range(iters):
                xin = x * hole + ref * (1 - hole)
                content = (((xin - ref) ** 2) * hole).sum() / hole.sum().clamp(min=1) / 3
                tv = ((xin[..., 1:, :] - xin[..., :-1, :]).abs().mean() + (xin[..., :, 1:] - xin[..., :, :-1]).abs().mean())
                loss = content + beta * tv
                if use_texture:
                    feats = features(xin)
                    pq = _patch_matrix(torch, feats, q_t)
                    if nn_idx is None or it == iters // 2:  # nearest neighbours (squared feature distance)
                        with torch.no_grad():
                            pc = _patch_matrix(torch, feats, c_t)
                            dist = (pq * pq).sum(1, keepdim=True) - 2 * pq @ pc.T + (pc * pc).sum(1)[None]
                            nn_idx = dist.argmin(1)
                            targets = pc[nn_idx]
                            scale = targets.pow(2).mean().clamp(min=1e-8)
                    loss = loss + alpha * ((pq - targets) ** 2).mean() / scale
                opt.zero_grad()
                loss.backward()
                opt.step()
                done += 1
                if it % 5 == 0 or it == iters - 1:
                    ctx.progress(min(done / total, 0.99), f"Neural patch synthesis: scale {s_idx + 1}/{len(shapes)} "
                                 f"({sw}x{sh}), step {it + 1}/{iters}")
            with torch.no_grad():
                current = (x * hole + ref * (1 - hole))[0].numpy().transpose(1, 2, 0).clip(0, 1).astype(np.float32)
            done += 1
            trace_scales.append(current)
        if current is None:  # the hole vanished at every scale (cannot happen with an any-coverage resize)
            current = glcic_complete(image, mask, cfg, nets["completion"])
        if current.shape[:2] != (h, w):
            current = _resize(current, w, h)
        if ctx.trace is not None:
            ctx.trace.network = {"content_prediction": content_prediction, "scales": trace_scales,
                                    "texture_network": "random-weight CNN, 3 conv layers (seed 1234)"}
        return current


def lama_scale(mask: np.ndarray, cfg: dict, depth_ratio: float) -> float:
    """The scale the LaMa-style network runs at: 1, or smaller so that the hole is no deeper (largest
    distance to a known pixel) than ``depth_ratio`` times the training holes' depth (their 90th
    percentile, in the model's config). A network trained on 64 px crops has never filled a hole
    128 px wide; at a lower scale the same hole looks like the ones it learned."""
    from ..networks.train import hole_depth

    depth = hole_depth(mask)
    return float(min(1.0, depth_ratio * cfg["hole_depth_p90"] / depth)) if depth > 0 else 1.0


def lama_complete(image: np.ndarray, mask: np.ndarray, cfg: dict, net, scale: float = 1.0,
                  flips: int = 1) -> np.ndarray:
    """Run the network on the whole image at ``scale`` (the resized hole grown by the resize's
    reach, so no hole value is read as known), padded to its size multiple, averaged over ``flips``
    mirror images (:func:`~inpaint_core.networks.blocks.mirror_ensemble`); the output at the image's
    resolution."""
    torch = _torch()
    from ..networks.blocks import mirror_ensemble

    h, w = mask.shape
    multiple = net.multiple
    if scale < 1.0:
        sw, sh = max(multiple, round(w * scale)), max(multiple, round(h * scale))
        img, msk = _resize(image, sw, sh), _resize_mask(mask, sw, sh)
    else:
        img, msk = image, mask
    sh, sw = msk.shape
    mean = np.asarray(cfg["mean_pixel"], np.float32)
    inp = np.concatenate([np.where(msk[..., None], mean, img), msk[..., None]], 2).astype(np.float32)
    ph, pw = (-sh) % multiple, (-sw) % multiple
    if ph or pw:
        inp = cv2.copyMakeBorder(inp, 0, ph, 0, pw, cv2.BORDER_REFLECT_101 if min(sh, sw) > 1 else cv2.BORDER_REPLICATE)
    with torch.no_grad():
        out = mirror_ensemble(net, torch.from_numpy(inp.transpose(2, 0, 1).copy())[None], flips)
    out = np.ascontiguousarray(out[0].numpy().transpose(1, 2, 0)[:sh, :sw], dtype=np.float32)
    if (sh, sw) != (h, w):
        out = np.clip(cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC), 0, 1)
    return out


class LamaFourier(LearnedMethod):
    """Resolution-robust large mask inpainting with Fourier convolutions (LaMa), Suvorov et al. 2022:
    after the survey."""

    name = "lama"
    version = "2"  # 2: fused local paths and upsampling convolutions on the small map (equal up to float rounding)
    title = "LaMa-style Fourier convolutions (scenes; after the survey)"
    speed = "fast"
    model = "lama_scenes"
    citation = Citation(
        "R. Suvorov, E. Logacheva, A. Mashikhin, A. Remizova, A. Ashukha, A. Silvestrov, N. Kong, H. Goka, K. Park, "
        "V. Lempitsky", "Resolution-robust Large Mask Inpainting with Fourier Convolutions", "WACV", 2022,
        "https://doi.org/10.1109/WACV51458.2022.00323",
    )
    params = (Param("depth_ratio", 1.5, "Run the network at the scale where the hole is at most this many times as "
                    "deep as the training holes (larger: closer to full resolution).", 0.5, 8.0, 0.1),
              Param("blend", True, "Poisson-blend the network's output into the hole (its gradients, the known "
                    "pixels' colours at the edge) instead of pasting it; chosen on the held-back photos."),
              flips_param())  # 4 scores +0.01 to +0.05 dB on the held-back photos, but at 512 px a full-resolution run
    # takes 1 s per view (one thread): not worth four times the time by default
    card = MethodCard(
        idea="Published five years after the survey's deep methods. Fast Fourier convolutions mix every position of "
        "a feature map with every other through the FFT, so the network has a global receptive field from its "
        "first blocks: a large hole is filled from the whole image, not from a narrow ring around it. Trained on "
        "large, varied holes (strokes, rectangles, blobs). This small CPU-trained model runs at a reduced scale "
        "when the hole is deeper than the holes it was trained on; its output is upsampled and Poisson-blended into the "
        "hole.",
        formula=r"\mathrm{FFC}(x) = [\,\mathrm{conv}_{l\to l}(x_l) + \mathrm{conv}_{g\to l}(x_g),\; "
        r"\mathrm{conv}_{l\to g}(x_l) + \mathcal{F}^{-1}(\mathrm{ReLU}(W \mathcal{F}(x_g)))\,]",
        fails_when="Holes far deeper than in training (run at a low scale, the fill is soft), fine textures and "
        "faces; this small CPU-trained model is far weaker than the paper's (27 M parameters, 8 GPUs).",
    )

    def fill(self, image, mask, params, ctx):
        cfg, nets = weights.load(self.model)
        net = nets["generator_ema"]
        scale = lama_scale(mask, cfg, params["depth_ratio"])
        ctx.progress(0.1, f"LaMa: Fourier-convolution network at scale {scale:.2f}")
        out = lama_complete(image, mask, cfg, net, scale, params["flips"])
        if ctx.trace is not None:
            ctx.trace.network = {"network_output": out, "network_known": ~mask, "scale": scale}
        if params["blend"]:
            ctx.progress(0.8, "LaMa: Poisson blending")
            return _blend(image, mask, out)
        return out
