#!/usr/bin/python3
"""Train, export and evaluate the face-swap detector of media/faceswap (issue 13).

    make train                     # crops (cmd/facecrops), then this script: train, export, evaluate
    /usr/bin/python3 scripts/train-faceswap.py --data data/faceswap --eval   # figures only

Data: the face crops cmd/facecrops cuts with the product's face check and faceswap.Crop
(128x128 RGB, the face box times 1.5). Positives are self-blended images (Shiohara & Yamasaki,
CVPR 2022) made here on the fly from genuine crops of the training people: the face is blended
with a colour-, blur/resolution-, scale- and shift-jittered copy of itself through a soft,
randomly deformed elliptical mask around the face box (landmark-free). No swap of any kind is
trained on by default, so every swapper family, the generated_id swaps (eval.IDSwapper,
different identity) included, is one the model never saw; --with-generated adds the generated
swaps of training people as positives (and then reports no generated_id figure).

Splits are by person (a person is in one split only; a DeepFaceLive original and its swap share
their person). Every person of a real swap family other than DeepFaceLive live swaps is held out
for testing; DeepFaceLive people are split 45/20/35 % train/val/test, the other genuine clips'
people 40/30/30 %, the photographs' people 85/15 % train/val. The generated swaps paste only
faces of the photographs' val people (cmd/facecrops heldOutPhoto). Real swaps of fake/ are never
trained on. The threshold is fixed on the genuine val recordings (BPCER <= 5 %) before the test
split is scored.

Options of the attempts that were tried and not shipped (docs/faceswap-model.md, "Tried and not
shipped"): --input 128 (the crop itself, five convolutions), --outline-mask (face-outline
polygon masks), --strong-colour, --degrade-both, --with-dfl (DeepFaceLive swap/original pairs of
train people as positives/negatives; the dfl_live figure then has to come from a model trained
without them), --no-test (val figures only) and --export (score and export a --pt later).

CPU only, fixed seed, one thread by default (--threads), no download; 600 steps of 80 crops
(about 4-5 CPU-minutes; on the shared development machine, under load, 20-30 minutes of wall
time). Writes media/faceswap/model.bin (weights + header)
and media/faceswap/testdata/reference.json (Go-vs-PyTorch test vectors), and prints the table of
docs/faceswap-model.md (also written to --report).
"""
import argparse
import csv
import hashlib
import io
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

CROP = 128        # faceswap.CropSide
MARGIN = 1.5      # faceswap.CropMargin: the face box is CROP/MARGIN wide, centred
INPUT = 64        # network input: the crop averaged over 2x2 (--input 128: the crop itself)
WINDOW = 2.0      # seconds per scored window (faceswap.Config.Window)
VERSION_PREFIX = "sbi64"
# Channels of the stride-2 convolutions per input size (about 3 M multiply-adds either way).
CHANNELS = {64: [3, 16, 32, 48, 64], 128: [3, 8, 12, 24, 32, 48]}
# Recipe switches (set from the command line in main): see --input, --outline-mask, --strong-colour.
OUTLINE_MASK = False
STRONG_COLOUR = False

REAL_FAMILIES = ["dfl_live", "ghost", "dfl_insightface", "deepfacelab", "blendface"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data and splits

def load(data):
    rows = []
    with open(os.path.join(data, "manifest.csv")) as f:
        for r in csv.DictReader(f):
            r["t"] = float(r["t_s"])
            rows.append(r)
    imgs = np.zeros((len(rows), CROP, CROP, 3), np.uint8)
    for i, r in enumerate(rows):
        imgs[i] = np.asarray(Image.open(os.path.join(data, "crops", r["crop"])).convert("RGB"))
    return rows, imgs


def frac(person, salt):
    h = hashlib.sha256((salt + person).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def assign_splits(rows):
    """Person -> 'train' | 'val' | 'test' (see the module comment). Test wins over val over train."""
    rank = {"train": 0, "val": 1, "test": 2}
    split = {}

    def put(p, s):
        if p not in split or rank[s] > rank[split[p]]:
            split[p] = s

    for r in rows:
        p, fam = r["person"], r["family"]
        if fam in REAL_FAMILIES and fam != "dfl_live":
            put(p, "test")
        elif fam == "generated_id":
            continue
        elif os.path.basename(r["path"]).startswith("dfl_") and r["path"].endswith(".mp4"):
            u = frac(p, "dfl")
            put(p, "train" if u < 0.45 else "val" if u < 0.65 else "test")
        elif r["label"] == "genuine":
            u = frac(p, "clip")
            put(p, "train" if u < 0.40 else "val" if u < 0.70 else "test")
        else:  # photographs (train/faces, photo/)
            put(p, "train" if frac(p, "photo") < 0.85 else "val")
    return split


# ---------------------------------------------------------------- the network

class Net(nn.Module):
    """3x3 stride-2 conv+BN+ReLU layers (CHANNELS), global average pool, one logit
    (media/faceswap/model.go)."""

    def __init__(self, ch=None):
        super().__init__()
        self.CH = ch or CHANNELS[INPUT]
        layers = []
        for a, b in zip(self.CH, self.CH[1:]):
            layers += [nn.Conv2d(a, b, 3, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(self.CH[-1], 1)

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3))).squeeze(1)


def half(crops_u8):
    """uint8 N,128,128,3 (array or tensor) -> float N,3,INPUT,INPUT in [0,1]: the crop, or the
    2x2 mean the Go code takes for a 64-px model."""
    x = crops_u8 if torch.is_tensor(crops_u8) else torch.from_numpy(crops_u8)
    x = x.permute(0, 3, 1, 2).float() / 255.0
    return F.avg_pool2d(x, 2) if INPUT == CROP // 2 else x


def prep(crops_u8):
    """uint8 N,128,128,3 -> network input N,3,INPUT,INPUT: (2x2 mean), (v - 0.5) / 0.25."""
    return norm(half(crops_u8))


def norm(x):
    return (x - 0.5) / 0.25


# ---------------------------------------------------------------- self-blended images
# Batched (one op per batch, not per image) and at the network's input size (64x64, the crop
# averaged 2x2 once at load time): the shared 2-core machine has no time to spare.

def gauss_matrix(sigma, n=INPUT):
    """n x n matrix M with M @ v the Gaussian blur of v (edges repeated)."""
    r = max(1, int(math.ceil(2.5 * sigma)))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-t * t / (2 * sigma * sigma))
    k = k / k.sum()
    m = torch.zeros(n, n)
    for i in range(n):
        for j, w in zip(range(i - r, i + r + 1), k):
            m[i, min(max(j, 0), n - 1)] += w
    return m


def blur(x, sigma):
    """Separable Gaussian blur: at 64 px as two matrix products (grouped convolutions are slow
    here), at 128 px as weighted sums of shifted copies (a dense 128 x 128 product costs more)."""
    if sigma < 0.3:
        return x
    if x.shape[-1] == 64:
        return sep(x, gauss_matrix(sigma, x.shape[-1]))
    r = max(1, int(math.ceil(2.5 * sigma)))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-t * t / (2 * sigma * sigma))
    k = (k / k.sum()).tolist()
    n, c, h, w = x.shape
    p = F.pad(x.reshape(n * c, 1, h, w), (r, r, 0, 0), mode="replicate")
    y = sum(kk * p[..., i:i + w] for i, kk in enumerate(k))
    p = F.pad(y, (0, 0, r, r), mode="replicate")
    y = sum(kk * p[..., i:i + h, :] for i, kk in enumerate(k))
    return y.reshape(n, c, h, w)


def sep(x, m):
    """m applied to the rows and the columns of every plane of x (x: N,C,H,W; m: H,H or N,H,H)."""
    if m.dim() == 2:
        return torch.einsum("nchw,vw->nchv", torch.einsum("uh,nchw->ncuw", m, x), m)
    return torch.einsum("nchw,nvw->nchv", torch.einsum("nuh,nchw->ncuw", m, x), m)


def U(g, n, lo, hi, *shape):
    return lo + (hi - lo) * torch.rand((n,) + shape, generator=g)


def resample_matrix(scale, shift, n):
    """Per image (k,) bilinear resampling matrices k,n,n: output o reads source
    (o + 0.5 - n/2) / scale + n/2 + shift * n/2 - 0.5 (edges repeated)."""
    o = torch.arange(n, dtype=torch.float32).view(1, n)
    src = (o + 0.5 - n / 2) / scale.view(-1, 1) + n / 2 + shift.view(-1, 1) * n / 2 - 0.5
    i0 = torch.floor(src)
    f = src - i0
    i0 = i0.long()
    m = torch.zeros(scale.shape[0], n, n)
    m.scatter_add_(2, i0.clamp(0, n - 1).unsqueeze(2), (1 - f).unsqueeze(2))
    m.scatter_add_(2, (i0 + 1).clamp(0, n - 1).unsqueeze(2), f.unsqueeze(2))
    return m


def affine(x, g, smin, smax, shift):
    """Per-image random scale in [smin, smax] and shift of +-shift (of the half side)."""
    n = x.shape[0]
    sc = U(g, n, smin, smax)
    if x.shape[-1] != 64:  # bilinear, edges repeated, as the matrices below but cheaper at 128 px
        th = torch.zeros(n, 2, 3)
        th[:, 0, 0] = th[:, 1, 1] = 1 / sc
        th[:, 1, 2] = U(g, n, -shift, shift)
        th[:, 0, 2] = U(g, n, -shift, shift)
        grid = F.affine_grid(th, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    ry = resample_matrix(sc, U(g, n, -shift, shift), x.shape[2])
    rx = resample_matrix(sc, U(g, n, -shift, shift), x.shape[3])
    return torch.einsum("nchw,nvw->nchv", torch.einsum("nuh,nchw->ncuw", ry, x), rx)


def pick(g, n, p):
    return (torch.rand(n, generator=g) < p).view(n, 1, 1, 1).float()


# Face-outline template in face-box units (box side 1, centre 0, y down; the face check's box
# covers brows to chin): the hull of jaw, temples and forehead, and the inner face (brows,
# eyes, nose, mouth), as landmark hulls are in SBI. Both listed clockwise in image coordinates.
OUTLINE = [(-0.50, -0.32), (-0.30, -0.48), (0.0, -0.53), (0.30, -0.48), (0.50, -0.32), (0.52, 0.0),
           (0.47, 0.2), (0.36, 0.38), (0.2, 0.5), (0.0, 0.55), (-0.2, 0.5), (-0.36, 0.38), (-0.47, 0.2),
           (-0.52, 0.0)]
INNER = [(-0.40, -0.30), (0.0, -0.34), (0.40, -0.30), (0.36, 0.1), (0.22, 0.36), (0.0, 0.42),
         (-0.22, 0.36), (-0.36, 0.1)]


def outline_mask(g, n, side):
    """n,1,side,side soft masks: a jittered outline or inner-face polygon placed on the face box
    (scale, shift, tilt, per-point jitter), its inside distance (the intersection of the edges'
    half-planes, i.e. its hull) deformed by low-frequency noise and feathered."""
    box = side / MARGIN
    masks = []
    for tmpl in (OUTLINE, INNER):
        p = torch.tensor(tmpl, dtype=torch.float32).unsqueeze(0).repeat(n, 1, 1)
        p = p + U(g, n, -0.05, 0.05, len(tmpl), 2)
        p = p * U(g, n, 0.85, 1.12, 1, 1) * torch.stack([U(g, n, 0.9, 1.1, 1), torch.ones(n, 1)], 2)
        th = U(g, n, -0.2, 0.2, 1)
        c, s_ = torch.cos(th), torch.sin(th)
        p = torch.stack([p[..., 0] * c - p[..., 1] * s_, p[..., 0] * s_ + p[..., 1] * c], 2)
        p = p * box + side / 2 + U(g, n, -0.04, 0.04, 1, 2) * box
        q = torch.roll(p, -1, 1)
        e = q - p                                           # n,K,2 edges
        ln = e.norm(dim=2).clamp_min(1e-3)
        c0 = (torch.arange(side, dtype=torch.float32) + 0.5)
        xx = c0.view(1, 1, 1, side)
        yy = c0.view(1, 1, side, 1)
        # Cross product of the edge with (pixel - p): positive inside for clockwise (y down).
        d = (e[..., 0, None, None] * (yy - p[..., 1, None, None]) -
             e[..., 1, None, None] * (xx - p[..., 0, None, None])) / ln[..., None, None]
        masks.append(d.min(1).values)                       # n,side,side inside distance (px)
    use_outline = (torch.rand(n, generator=g) < 0.6).view(n, 1, 1)
    dist = torch.where(use_outline, masks[0], masks[1])
    noise = F.interpolate(U(g, n, -1, 1, 1, 5, 5), size=(side, side), mode="bicubic", align_corners=False)[:, 0]
    dist = dist + 0.06 * box * noise
    feather = U(g, n, 0.03, 0.3, 1, 1) * box
    m = (0.5 + dist / feather).clamp(0, 1)  # the polygon's edge is the middle of the feather
    return (m * m * (3 - 2 * m)).unsqueeze(1)


def sbi(x, g):
    """x: N,3,S,S in [0,1] -> self-blended images: each face blended with a jittered copy of
    itself (colour, contrast, low-resolution render or blur or sharpening, scale and shift)
    through a randomly deformed, soft-edged ellipse (or, with OUTLINE_MASK, face-outline
    polygon) around the face box, at random strength."""
    n, S = x.shape[0], x.shape[-1]
    k = S / 64  # blur widths below are in 64-px units
    if STRONG_COLOUR:
        t = (x - 0.5) * U(g, n, 0.8, 1.2, 1, 1, 1) + 0.5
        t = t * U(g, n, 0.85, 1.15, 3, 1, 1) + U(g, n, -0.1, 0.1, 3, 1, 1)
        grey = t.mean(1, keepdim=True)
        t = grey + (t - grey) * U(g, n, 0.7, 1.3, 1, 1, 1)
    else:
        t = (x - 0.5) * U(g, n, 0.85, 1.15, 1, 1, 1) + 0.5
        t = t * U(g, n, 0.9, 1.1, 3, 1, 1) + U(g, n, -0.06, 0.06, 3, 1, 1)
    # At 64 px a face box is 43 px: a 128-px render of a 200-px face loses little here, so the
    # resolution jitter is mild (a strong blur would teach "blurry face", not "blended face").
    size = int(S * float(U(g, 1, 0.55, 0.9)))
    low = F.interpolate(F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False, antialias=True),
                        size=(S, S), mode="bilinear", align_corners=False)
    soft = blur(t, k * float(U(g, 1, 0.3, 0.8)))
    sharp = t + float(U(g, 1, 0.3, 1.0)) * (t - blur(t, k * 0.7))
    r = torch.rand(n, generator=g).view(n, 1, 1, 1)
    t = torch.where(r < 0.3, low, torch.where(r < 0.55, soft, torch.where(r < 0.7, sharp, t)))
    t = affine(t, g, 0.97, 1.03, 0.02).clamp(0, 1)
    if OUTLINE_MASK:
        m = outline_mask(g, n, S)
        m = m * torch.where(torch.rand(n, 1, 1, 1, generator=g) < 0.5, U(g, n, 0.5, 1.0, 1, 1, 1), torch.ones(n, 1, 1, 1))
        return m * t + (1 - m) * x
    box = S / MARGIN
    c = (torch.arange(S, dtype=torch.float32) + 0.5).view(1, 1, S)
    cx = S / 2 + U(g, n, -0.05, 0.05, 1, 1) * box
    cy = S / 2 + U(g, n, -0.02, 0.1, 1, 1) * box
    ax = U(g, n, 0.34, 0.56, 1, 1) * box
    ay = U(g, n, 0.42, 0.66, 1, 1) * box
    th = U(g, n, -0.25, 0.25, 1, 1)
    xx, yy = c - cx, c.transpose(1, 2) - cy
    u = (xx * torch.cos(th) + yy * torch.sin(th)) / ax
    v = (-xx * torch.sin(th) + yy * torch.cos(th)) / ay
    rad = torch.sqrt(u * u + v * v)
    noise = F.interpolate(U(g, n, -1, 1, 1, 4, 4), size=(S, S), mode="bicubic", align_corners=False)[:, 0]
    rad = rad * (1 + 0.12 * noise)
    feather = U(g, n, 0.04, 0.35, 1, 1)
    m = ((1 - rad) / feather).clamp(0, 1)
    m = (m * m * (3 - 2 * m)).unsqueeze(1)
    m = m * torch.where(torch.rand(n, 1, 1, 1, generator=g) < 0.5, U(g, n, 0.5, 1.0, 1, 1, 1), torch.ones(n, 1, 1, 1))
    return m * t + (1 - m) * x


DCT8 = torch.tensor([[math.sqrt((1 if k == 0 else 2) / 8) * math.cos(math.pi * (2 * i + 1) * k / 16)
                      for i in range(8)] for k in range(8)], dtype=torch.float32)

QTAB = torch.tensor([[16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
                     [14, 13, 16, 24, 40, 57, 69, 56], [14, 17, 22, 29, 51, 87, 80, 62],
                     [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
                     [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99]],
                    dtype=torch.float32)


def compress(x, g):
    """JPEG-like 8x8 DCT quantisation at a random quality per image (calls are compressed;
    at 64 px, half the crop's scale, so blocks are coarser than a codec's)."""
    n, S = x.shape[0], x.shape[-1]
    if S == 64:
        dct = torch.block_diag(*([DCT8] * (S // 8)))  # 8x8 block DCT of a whole side as one matrix
        d = sep(x * 255 - 128, dct)
        q = QTAB.repeat(S // 8, S // 8) * U(g, n, 0.3, 2.0, 1, 1, 1)
        d = torch.round(d / q) * q
        return ((sep(d, dct.T) + 128) / 255).clamp(0, 1)
    b = (x * 255 - 128).reshape(n, 3, S // 8, 8, S // 8, 8)  # per 8x8 block (cheaper at 128 px)
    d = torch.einsum("ui,ncaibj,vj->ncaubv", DCT8, b, DCT8)
    q = QTAB.view(1, 1, 1, 8, 1, 8) * U(g, n, 0.3, 2.0, 1, 1, 1, 1, 1)
    d = torch.round(d / q) * q
    y = torch.einsum("ui,ncaubv,vj->ncaibj", DCT8, d, DCT8).reshape(n, 3, S, S)
    return ((y + 128) / 255).clamp(0, 1)


DEGRADE_BOTH = False


def common_aug(x, g):
    """Both classes: face-box jitter of the detector, flips, global colour, compression (with
    DEGRADE_BOTH also a whole-crop blur or downscale, so that softness alone tells nothing)."""
    n, S = x.shape[0], x.shape[-1]
    if DEGRADE_BOTH:
        size = int(S * float(U(g, 1, 0.55, 0.9)))
        low = F.interpolate(F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True),
                            size=(S, S), mode="bilinear", align_corners=False)
        soft = blur(x, S / 64 * float(U(g, 1, 0.3, 0.8)))
        r = torch.rand(n, generator=g).view(n, 1, 1, 1)
        x = torch.where(r < 0.2, low, torch.where(r < 0.4, soft, x))
    x = affine(x, g, 0.93, 1.07, 0.04)
    flip = pick(g, n, 0.5)
    x = flip * torch.flip(x, [3]) + (1 - flip) * x
    x = (x - 0.5) * U(g, n, 0.85, 1.15, 1, 1, 1) + 0.5 + U(g, n, -0.06, 0.06, 1, 1, 1)
    x = x.clamp(0, 1)
    jp = torch.rand(n, generator=g) < 0.7
    x[jp] = compress(x[jp], g)
    return x


def batch(imgs, gen_imgs, n, n_gen, g, pairs=None, n_pair=0):
    """n genuine crops and their n self-blended copies (+ n_gen generated swaps and as many
    more genuine crops; + n_pair DeepFaceLive swap crops and the crops of their originals at
    the same time): network inputs and labels. imgs, gen_imgs: uint8 N,128,128,3 tensors;
    pairs: (swap crops, original crops), row i of one matching row i of the other."""
    def take(a, k):
        return half(a[torch.randint(len(a), (k,), generator=g)])
    gen = take(imgs, n)
    parts, ys = [gen, sbi(gen, g)], [torch.zeros(n), torch.ones(n)]
    if n_gen:
        parts += [take(gen_imgs, n_gen), take(imgs, n_gen)]
        ys += [torch.ones(n_gen), torch.zeros(n_gen)]
    if n_pair:
        i = torch.randint(len(pairs[0]), (n_pair,), generator=g)
        parts += [half(pairs[0][i]), half(pairs[1][i])]
        ys += [torch.ones(n_pair), torch.zeros(n_pair)]
    return norm(common_aug(torch.cat(parts), g)), torch.cat(ys)


def train(imgs, gen_imgs, steps, seed, label, pairs=None):
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = Net()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    n_gen = 8 if gen_imgs is not None and len(gen_imgs) else 0
    n_pair, n = (12, 32) if pairs is not None else (0, 40)
    t0 = time.time()
    net.train()
    ema = None
    for step in range(steps):
        x, y = batch(imgs, gen_imgs, n, n_gen, g, pairs, n_pair)
        loss = F.binary_cross_entropy_with_logits(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 50 == 0 or step == steps - 1:
            log(f"[{label}] step {step}/{steps} loss {ema:.3f} ({time.time() - t0:.0f} s)")
    net.eval()
    return net


# ---------------------------------------------------------------- export

def folded(net):
    """Conv weights with BatchNorm folded in: [(w[out,in,3,3], b[out])], fc (w[64], b)."""
    out = []
    mods = list(net.features)
    for i in range(0, len(mods), 3):
        conv, bn = mods[i], mods[i + 1]
        s = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
        w = conv.weight.detach() * s.view(-1, 1, 1, 1)
        b = bn.bias.detach() - bn.running_mean * s
        out.append((w, b))
    return out, (net.fc.weight.detach().view(-1), net.fc.bias.detach().view(-1))


def export(net, path, header):
    convs, (fw, fb) = folded(net)
    header = dict(header)
    header["layers"] = [{"in": int(w.shape[1]), "out": int(w.shape[0]), "k": 3, "stride": 2} for w, _ in convs]
    blob = b""
    for w, b in convs:
        blob += w.numpy().astype("<f4").tobytes() + b.numpy().astype("<f4").tobytes()
    blob += fw.numpy().astype("<f4").tobytes() + fb.numpy().astype("<f4").tobytes()
    with open(path, "wb") as f:
        f.write(json.dumps(header, sort_keys=True).encode() + b"\n")
        f.write(blob)
    log(f"wrote {path}: {os.path.getsize(path)} bytes")


def load_bin(path):
    """A Net with the weights of a model file written by export (BatchNorm left as identity,
    the folded bias in its place), and the file's header."""
    global INPUT
    with open(path, "rb") as f:
        header = json.loads(f.readline())
        data = np.frombuffer(f.read(), dtype="<f4")
    INPUT = header["input"]
    net = Net([3] + [l["out"] for l in header["layers"]])
    mods, o = list(net.features), 0
    for i, l in zip(range(0, len(mods), 3), header["layers"]):
        conv, bn = mods[i], mods[i + 1]
        nw = l["out"] * l["in"] * 9
        conv.weight.data = torch.from_numpy(data[o:o + nw].copy()).view(l["out"], l["in"], 3, 3)
        bn.bias.data = torch.from_numpy(data[o + nw:o + nw + l["out"]].copy())
        bn.weight.data.fill_(1)
        bn.running_mean.zero_()
        bn.running_var.fill_(1 - bn.eps)
        o += nw + l["out"]
    c = header["layers"][-1]["out"]
    net.fc.weight.data = torch.from_numpy(data[o:o + c].copy()).view(1, c)
    net.fc.bias.data = torch.from_numpy(data[o + c:o + c + 1].copy())
    if o + c + 1 != len(data):
        raise ValueError(f"{path}: {len(data) - o - c - 1} floats after the weights")
    net.eval()
    return net, header


def lcg_crop(seed):
    """The deterministic 128x128 RGB test crop of the Go test (model_test.go refCrop)."""
    s = seed & 0xFFFFFFFF
    out = np.zeros(CROP * CROP * 3, np.uint8)
    for i in range(out.size):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        p = i // 3
        y, x = divmod(p, CROP)
        smooth = (x * (seed + 1) + y * 2 * (seed + 3)) % 256
        out[i] = (smooth + (s >> 24) // 4) % 256
    return out.reshape(CROP, CROP, 3)


def fixture(model, ref):
    """A tiny 128-px-input model with random weights and its reference logits, for the Go test
    of the 128-px input path (media/faceswap/testdata/model128.bin, reference128.json)."""
    global INPUT
    INPUT = 128
    torch.manual_seed(0)
    net = Net([3, 4, 6, 8, 8, 8])
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):  # non-trivial statistics, so folding is tested
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
        net.fc.weight.uniform_(-20, 20)  # logits far apart for different crops
    net.eval()
    export(net, model, {"version": "fixture128", "threshold": 0.5, "input": 128, "crop": CROP, "margin": MARGIN,
                        "mean": 0.5, "std": 0.25})
    reference(net, ref)


def reference(net, path):
    seeds = [0, 1, 2, 7]
    crops = np.stack([lcg_crop(s) for s in seeds])
    with torch.no_grad():
        logits = net(prep(crops)).tolist()
    with open(path, "w") as f:
        json.dump({"seeds": seeds, "logits": logits}, f, indent=1)
    log(f"wrote {path}: logits {logits}")


# ---------------------------------------------------------------- evaluation

def scores(net, imgs):
    out = []
    with torch.no_grad():
        for i in range(0, len(imgs), 256):
            out.append(torch.sigmoid(net(prep(imgs[i:i + 256]))))
    return torch.cat(out).numpy() if out else np.zeros(0)


def recordings(rows, s):
    """Per recording (path): the score media/faceswap gives it: the highest window mean, windows
    of WINDOW seconds starting at every whole second, scored with at least 2 crops (a clip with
    no such window: the mean of its crops); for a still, its highest face."""
    by = {}
    for r, v in zip(rows, s):
        by.setdefault(r["path"], []).append((r["t"], float(v), r))
    out = {}
    for path, xs in by.items():
        r0 = xs[0][2]
        still = r0["label"] in ("genuine_still", "attack_still", "photo")
        if still:
            sc = max(v for _, v, _ in xs)
        else:
            best = None
            for k in range(int(min(t for t, _, _ in xs)), int(max(t for t, _, _ in xs)) + 1):
                w = [v for t, v, _ in xs if k <= t < k + WINDOW]
                if len(w) >= 2:
                    m = sum(w) / len(w)
                    best = m if best is None else max(best, m)
            sc = best if best is not None else sum(v for _, v, _ in xs) / len(xs)
        out[path] = {"score": sc, "row": r0, "still": still}
    return out


def auc(pos, neg):
    if not pos or not neg:
        return float("nan")
    n = 0.0
    for p in pos:
        for q in neg:
            n += 1.0 if p > q else 0.5 if p == q else 0.0
    return n / (len(pos) * len(neg))


def threshold_for(neg, bpcer=0.05):
    """Smallest threshold flagging at most bpcer of neg (score >= threshold flags)."""
    neg = sorted(neg, reverse=True)
    allowed = int(math.floor(bpcer * len(neg)))
    return neg[allowed] + 1e-6 if allowed < len(neg) else 0.0


def evaluate(rows, imgs, split, net_main, trained_on_generated, report, seen=()):
    lines = []

    def say(s=""):
        print(s)
        lines.append(s)

    def recs_for(net, pred):
        idx = [i for i, r in enumerate(rows) if pred(r)]
        return recordings([rows[i] for i in idx], scores(net, imgs[idx]))

    sp = lambda r: split.get(r["person"], "train")
    # 1. threshold on genuine val recordings (video), before any test score is looked at
    val = recs_for(net_main, lambda r: r["label"] == "genuine" and r["family"] == "" and sp(r) == "val")
    val_scores = [v["score"] for v in val.values()]
    thr = threshold_for(val_scores)
    say(f"Threshold {thr:.4f}: fixed on {len(val_scores)} genuine val recordings of held-out people "
        f"(BPCER <= 5 %: {sum(s >= thr for s in val_scores)} of {len(val_scores)} over it).")
    # 2. test
    test = recs_for(net_main, lambda r: sp(r) == "test")
    gen_v = [v["score"] for v in test.values() if v["row"]["label"] == "genuine" and v["row"]["family"] == ""]
    gen_s = [v["score"] for v in test.values() if v["row"]["label"] == "genuine_still" and v["row"]["family"] == ""]
    say()
    say("| test set (held-out people) | model | n | flagged | APCER / BPCER | AUC vs genuine test |")
    say("|---|---|---|---|---|---|")
    fl = sum(s >= thr for s in gen_v)
    say(f"| genuine recordings (video) | shipped | {len(gen_v)} | {fl} | BPCER {100 * fl / max(len(gen_v), 1):.0f} % | |")
    fl = sum(s >= thr for s in gen_s)
    say(f"| genuine stills | shipped | {len(gen_s)} | {fl} | BPCER {100 * fl / max(len(gen_s), 1):.0f} % | |")
    fams = {}
    for fam in REAL_FAMILIES:
        pos = [v["score"] for v in test.values() if v["row"]["family"] == fam]
        still = any(v["still"] for v in test.values() if v["row"]["family"] == fam)
        neg = gen_s if still else gen_v
        m = sum(s >= thr for s in pos)
        a = auc(pos, neg)
        fams[fam] = {"n": len(pos), "missed": len(pos) - m, "auc": a, "seen": fam in seen}
        say(f"| {fam} swaps ({'stills' if still else 'video'}){' SEEN IN TRAINING (other people)' if fam in seen else ''} | shipped | {len(pos)} | {m} | "
            f"APCER {100 * (len(pos) - m) / max(len(pos), 1):.0f} % | {a:.2f} |")
    # generated_id: only from a model that never saw a generated swap
    if not trained_on_generated:
        pos = [v["score"] for v in test.values() if v["row"]["family"] == "generated_id"
               and sp({"person": v["row"]["source_person"]}) != "train"]
        m = sum(s >= thr for s in pos)
        a = auc(pos, gen_v)
        fams["generated_id"] = {"n": len(pos), "missed": len(pos) - m, "auc": a}
        say(f"| generated_id swaps (video) | shipped | {len(pos)} | {m} | "
            f"APCER {100 * (len(pos) - m) / max(len(pos), 1):.0f} % | {a:.2f} |")
    say()
    say("Per recording (test split, shipped model):")
    for path, v in sorted(test.items(), key=lambda kv: (kv[1]["row"]["family"], kv[0])):
        say(f"    {v['score']:.3f} {'FLAG' if v['score'] >= thr else '    '} {v['row']['family'] or v['row']['label']:16s} {path}")
    if report:
        with open(report, "w") as f:
            f.write("\n".join(lines) + "\n")
    return thr, fams


def dfl_pairs(rows, split):
    """(swap crop index, original crop index) for the DeepFaceLive live swaps of train people:
    each swap crop with the crop of its frame-aligned original nearest in time (within 0.25 s)."""
    orig = {}
    for i, r in enumerate(rows):
        if r["label"] == "genuine" and os.path.basename(r["path"]).startswith("dfl_") and r["path"].endswith("_original.mp4"):
            orig.setdefault(os.path.basename(r["path"])[:-len("_original.mp4")], []).append(i)
    out = []
    for i, r in enumerate(rows):
        if r["family"] != "dfl_live" or split.get(r["person"], "train") != "train":
            continue
        cand = orig.get(os.path.basename(r["path"])[:-len("_swap.mp4")], [])
        best = min(cand, key=lambda j: abs(rows[j]["t"] - r["t"]), default=None)
        if best is not None and abs(rows[best]["t"] - r["t"]) <= 0.25:
            out.append((i, best))
    return out


def val_summary(rows, imgs, split, net, out=""):
    """Model selection without the test split: AUC of the val people's DeepFaceLive swaps and
    generated swaps against the val genuine recordings, and APCER at the val threshold."""
    sp = lambda r: split.get(r["person"], "train")
    idx = [i for i, r in enumerate(rows) if sp(r) == "val" and r["label"] != "genuine_still"]
    recs = recordings([rows[i] for i in idx], scores(net, imgs[idx]))
    neg = [v["score"] for v in recs.values() if v["row"]["label"] == "genuine" and v["row"]["family"] == ""]
    thr = threshold_for(neg)
    res = {"threshold": thr, "genuine_n": len(neg), "genuine_flagged": sum(x >= thr for x in neg)}
    print(f"val genuine recordings: n {len(neg)}, threshold {thr:.4f} flags {res['genuine_flagged']}")
    for fam in ("dfl_live", "generated_id"):
        pos = [v["score"] for v in recs.values() if v["row"]["family"] == fam]
        a = auc(pos, neg)
        missed = sum(x < thr for x in pos)
        res[fam] = {"n": len(pos), "auc": a, "missed": missed}
        print(f"val {fam}: n {len(pos)} vs {len(neg)} genuine, AUC {a:.3f}, "
              f"APCER {100 * missed / max(len(pos), 1):.0f} % at the val threshold")
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=1)
    return res


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="data/faceswap")
    ap.add_argument("--model", default="media/faceswap/model.bin")
    ap.add_argument("--reference", default="media/faceswap/testdata/reference.json")
    ap.add_argument("--splits", default="media/faceswap/testdata/splits.json")
    ap.add_argument("--report", default="data/faceswap/report.md")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: on a loaded shared machine a second thread mostly spins)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--eval", action="store_true", help="only evaluate the model file (--model) or --pt")
    ap.add_argument("--val", action="store_true", help="only print the val figures used to choose a model")
    ap.add_argument("--pt", default="", help="PyTorch weights file (default DATA/model-main.pt)")
    ap.add_argument("--degrade-both", action="store_true",
                    help="blur/downscale genuine crops as often as blended ones, so softness tells nothing")
    ap.add_argument("--with-generated", action="store_true",
                    help="also train on the generated_id swaps of training people (then no generated_id figure)")
    ap.add_argument("--input", type=int, default=64, choices=[64, 128],
                    help="network input side: 64 (the crop averaged 2x2) or 128 (the crop itself)")
    ap.add_argument("--outline-mask", action="store_true",
                    help="self-blend through a jittered face-outline / inner-face polygon instead of the ellipse")
    ap.add_argument("--strong-colour", action="store_true",
                    help="stronger colour mismatch (gain, bias, contrast, saturation) of the blended copy")
    ap.add_argument("--with-dfl", action="store_true",
                    help="also train on the DeepFaceLive swap/original pairs of training people "
                         "(then the dfl_live figure must come from a model trained without them)")
    ap.add_argument("--no-test", action="store_true",
                    help="train, write the .pt and the val figures, do not score the test split or export")
    ap.add_argument("--export", action="store_true",
                    help="no training: the weights of --pt (trained with the same options), test figures, export")
    ap.add_argument("--val-out", default="", help="with --val: write the val figures as JSON here")
    ap.add_argument("--fixture", action="store_true",
                    help="only write the 128-px test fixture of media/faceswap/testdata (model128.bin, reference128.json)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.fixture:
        fixture("media/faceswap/testdata/model128.bin", "media/faceswap/testdata/reference128.json")
        return
    global DEGRADE_BOTH, INPUT, VERSION_PREFIX, OUTLINE_MASK, STRONG_COLOUR
    DEGRADE_BOTH = a.degrade_both
    INPUT = a.input
    VERSION_PREFIX = f"sbi{INPUT}" + ("dfl" if a.with_dfl else "")
    OUTLINE_MASK, STRONG_COLOUR = a.outline_mask, a.strong_colour
    torch.manual_seed(a.seed)
    rows, imgs = load(a.data)
    split = assign_splits(rows)
    counts = {}
    for r in rows:
        k = (split.get(r["person"], "train"), r["family"] or r["label"])
        counts[k] = counts.get(k, 0) + 1
    for k in sorted(counts):
        log(f"crops {k[0]:5s} {k[1]:16s} {counts[k]}")
    sp = lambda r: split.get(r["person"], "train")
    tr = [i for i, r in enumerate(rows) if sp(r) == "train" and r["family"] == ""
          and r["label"] in ("genuine", "genuine_still", "photo")]
    # Generated swaps of training targets; their pasted faces are the photographs' val people
    # (never test people), whom the threshold does not rest on (it rests on val video clips).
    gen = [i for i, r in enumerate(rows) if r["family"] == "generated_id" and sp(r) == "train"
           and split.get(r["source_person"], "train") != "test"]
    log(f"training crops: {len(tr)} genuine of {len({rows[i]['person'] for i in tr})} people, {len(gen)} generated swaps")
    pt_main = a.pt or os.path.join(a.data, "model-main.pt")
    if a.eval or a.val:
        # The committed model file (or --pt): figures only, nothing written but the report.
        if a.pt:
            net = Net(); net.load_state_dict(torch.load(a.pt)); net.eval()
            log(f"{a.pt}: input {INPUT}")
            trained_gen = a.with_generated
        else:
            net, header = load_bin(a.model)
            trained_gen = header.get("trained_on_generated", False)
            log(f"{a.model}: {header['version']}, threshold {header['threshold']}")
        if a.val:
            val_summary(rows, imgs, split, net, a.val_out)
        else:
            seen = ("dfl_live",) if (a.with_dfl or (not a.pt and header.get("trained_on_dfl_live"))) else ()
            evaluate(rows, imgs, split, net, trained_gen, a.report, seen)
        return
    if a.export:
        # A model trained earlier with the same options (--no-test): score the test split once,
        # then export it as a training run would.
        net = Net(); net.load_state_dict(torch.load(pt_main)); net.eval()
        log(f"{pt_main}: input {INPUT}, exporting")
    else:
        pairs = None
        if a.with_dfl:
            pairs = dfl_pairs(rows, split)
            log(f"DeepFaceLive training pairs: {len(pairs)} crops of "
                f"{len({rows[i]['person'] for i, _ in pairs})} train people")
            pairs = (torch.from_numpy(imgs[[i for i, _ in pairs]]), torch.from_numpy(imgs[[j for _, j in pairs]]))
        timg = torch.from_numpy(imgs)
        net = train(timg[tr], timg[gen] if a.with_generated else None, a.steps, a.seed, "main", pairs)
        torch.save(net.state_dict(), pt_main)
        net.eval()
    if a.val_out:
        val_summary(rows, imgs, split, net, a.val_out)
    if a.no_test:
        log("--no-test: val figures only; the test split is not scored, nothing exported")
        return
    thr, fams = evaluate(rows, imgs, split, net, a.with_generated, a.report, ("dfl_live",) if a.with_dfl else ())
    digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in net.state_dict().values())).hexdigest()[:8]
    header = {"version": f"{VERSION_PREFIX}-{digest}", "threshold": round(thr, 6), "input": INPUT, "crop": CROP,
              "margin": MARGIN, "mean": 0.5, "std": 0.25, "seed": a.seed, "steps": a.steps,
              "train_people": len({rows[i]["person"] for i in tr}), "train_crops": len(tr),
              "trained_on_generated": a.with_generated, "trained_on_dfl_live": a.with_dfl,
              "families": fams}
    export(net, a.model, header)
    reference(net, a.reference)
    with open(a.splits, "w") as f:
        json.dump({p: split[p] for p in sorted(split)}, f, indent=0)
        f.write("\n")


if __name__ == "__main__":
    main()
