#!/usr/bin/python3
"""Generate imageio test images and PIL/torchvision golden outputs.

Run with Debian's interpreter (Pillow 9.4, torch 1.13, torchvision 0.14):

    /usr/bin/python3 testdata/gen/imageio_gen.py            # rewrite imageio/testdata
    /usr/bin/python3 testdata/gen/imageio_gen.py --photos D # also write large JPEGs + PIL decodes to D

Every non-JPEG image gets SHA-256 digests of PIL's convert("RGB"), of
Image.resize for several sizes and filters, and of the torchvision eval
transform (uint8 after CenterCrop and float32 after ToTensor/Normalize).
The Go tests require those digests bit for bit. JPEG fixtures carry PIL's
decoded RGB bytes so the tests can measure and bound the difference.
"""
import hashlib
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image
import torch
import torchvision.transforms as T

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "imageio", "testdata")
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
FILTERS = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
TV = {"nearest": T.InterpolationMode.NEAREST, "bilinear": T.InterpolationMode.BILINEAR,
      "bicubic": T.InterpolationMode.BICUBIC}

rng = np.random.RandomState(20261129)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def noise(h, w, c=3, lo=0, hi=256):
    return rng.randint(lo, hi, size=(h, w, c) if c else (h, w)).astype(np.uint8)


def photo(h, w, c=3, amp=12):
    """Smooth, photo-like content: gradients, soft blobs and mild noise."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    chans = []
    for k in range(c):
        v = 128 + 90 * np.sin(x / (w / (2.0 + k)) + k) * np.cos(y / (h / (1.5 + k)))
        for _ in range(4):
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.05, 0.3) * min(w, h)
            v += rng.uniform(-80, 80) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
        # a few hard edges, as photos have
        v[(x * 0.7 + y * 0.3) % (w / 3.0 + 7) < 2] += 60
        v += rng.normal(0, amp, size=(h, w))
        chans.append(v)
    a = np.clip(np.stack(chans, -1), 0, 255).astype(np.uint8)
    return a if c > 1 else a[:, :, 0]


# ---- a small PNG writer for what PIL cannot save (16-bit colour, interlace)

def _chunk(t, data):
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)


def _pack_rows(samples, depth):
    """samples: (h, w*channels) int array -> list of packed row bytes."""
    rows = []
    for r in samples:
        if depth == 16:
            rows.append(r.astype(">u2").tobytes())
        elif depth == 8:
            rows.append(r.astype(np.uint8).tobytes())
        else:
            per = 8 // depth
            b = bytearray((len(r) + per - 1) // per)
            for i, v in enumerate(r):
                b[i // per] |= int(v) << (8 - depth * (i % per + 1))
            rows.append(bytes(b))
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, samples, ctype, depth, plte=None, trns=None, interlace=False):
    """samples: (h, w, channels) ints already in the file's bit depth."""
    h, w, ch = samples.shape
    raw = b""
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx, :]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        for row in _pack_rows(sub.reshape(sub.shape[0], -1), depth):
            raw += b"\x00" + row
    png = b"\x89PNG\r\n\x1a\n"
    png += _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 1 if interlace else 0))
    if plte is not None:
        png += _chunk(b"PLTE", bytes(plte))
    if trns is not None:
        png += _chunk(b"tRNS", bytes(trns))
    png += _chunk(b"IDAT", zlib.compress(raw, 9))
    png += _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def offset_gif(path, im, screen, offset, **kw):
    """A GIF whose only frame is smaller than the logical screen: PIL's
    first frame is the screen, filled with the transparent index (or 0)."""
    buf = io.BytesIO()
    im.save(buf, "GIF", **kw)
    b = bytearray(buf.getvalue())
    b[6:10] = struct.pack("<HH", *screen)
    pos = 13 + (3 << ((b[10] & 7) + 1) if b[10] & 0x80 else 0)
    while b[pos] == 0x21:
        pos += 2
        while b[pos]:
            pos += b[pos] + 1
        pos += 1
    assert b[pos] == 0x2C
    b[pos + 1:pos + 5] = struct.pack("<HH", *offset)
    with open(path, "wb") as f:
        f.write(bytes(b))


# ---- the images

def make_images():
    """Yield (name, writer) where writer(path) creates the file."""
    imgs = []

    def pil(name, im, fmt, **kw):
        imgs.append((name, lambda p: im.save(p, fmt, **kw)))

    def raw(name, fn):
        imgs.append((name, fn))

    sizes = [(1, 1), (3, 2), (2, 3), (7, 5), (17, 13), (64, 48), (97, 3), (3, 61), (40, 40)]
    for w, h in sizes:
        pil(f"rgb_{w}x{h}.png", Image.fromarray(noise(h, w)), "PNG")
    pil("rgb_photo_120x90.png", Image.fromarray(photo(90, 120)), "PNG")
    pil("rgb_photo_90x120.png", Image.fromarray(photo(120, 90)), "PNG")
    pil("rgba_23x19.png", Image.fromarray(noise(19, 23, 4), "RGBA"), "PNG")
    pil("l_29x17.png", Image.fromarray(noise(17, 29, 0), "L"), "PNG")
    pil("la_13x21.png", Image.fromarray(noise(21, 13, 2), "LA"), "PNG")
    pil("l_trns_11x9.png", Image.fromarray(noise(9, 11, 0, 0, 4), "L"), "PNG", transparency=2)
    pil("rgb_trns_9x11.png", Image.fromarray(noise(11, 9, 3, 0, 2) * 255), "PNG", transparency=(255, 0, 255))
    one = Image.fromarray(noise(15, 33, 0, 0, 2) * 255, "L").convert("1")
    pil("bit1_33x15.png", one, "PNG")
    pal = Image.fromarray(noise(19, 31, 0, 0, 200), "L").convert("P")
    pal.putpalette(list(noise(1, 256, 3).reshape(-1)))
    pil("p_31x19.png", pal, "PNG")
    pil("p_trns_31x19.png", pal, "PNG", transparency=bytes(rng.randint(0, 256, 200).astype(np.uint8)))
    pal16 = Image.fromarray(noise(13, 21, 0, 0, 16), "L").convert("P")
    pal16.putpalette(list(noise(1, 16, 3).reshape(-1)))
    pil("p4bit_21x13.png", pal16, "PNG", bits=4)
    i16 = Image.fromarray(rng.choice([0, 1, 7, 100, 254, 255, 256, 300, 4000, 65535], size=(14, 18)).astype(np.uint16), "I;16")
    pil("i16_18x14.png", i16, "PNG")
    pil("i16_18x14.tif", i16, "TIFF")
    # hand-written PNGs: every colour type and depth PIL cannot save, and Adam7
    raw("gray2_19x7.png", lambda p: write_png(p, noise(7, 19, 1, 0, 4), 0, 2))
    raw("gray4_19x7.png", lambda p: write_png(p, noise(7, 19, 1, 0, 16), 0, 4))
    raw("gray16_trns_10x6.png", lambda p: write_png(p, rng.choice([0, 5, 255, 256, 999, 65535], size=(6, 10, 1)), 0, 16, trns=struct.pack(">H", 999)))
    raw("rgb16_15x9.png", lambda p: write_png(p, rng.randint(0, 65536, size=(9, 15, 3)), 2, 16))
    raw("rgba16_9x15.png", lambda p: write_png(p, rng.randint(0, 65536, size=(15, 9, 4)), 6, 16))
    raw("la16_12x5.png", lambda p: write_png(p, rng.randint(0, 65536, size=(5, 12, 2)), 4, 16))
    raw("rgb_interlaced_37x29.png", lambda p: write_png(p, noise(29, 37), 2, 8, interlace=True))
    raw("rgba_interlaced_5x3.png", lambda p: write_png(p, noise(3, 5, 4), 6, 8, interlace=True))
    raw("p2_interlaced_13x11.png", lambda p: write_png(p, noise(11, 13, 1, 0, 4), 3, 2, plte=noise(1, 4, 3).reshape(-1), trns=b"\x00\x80", interlace=True))
    # indices past a short palette: PIL reads its grey-ramp default entries
    raw("p_short_palette_9x7.png", lambda p: write_png(p, noise(7, 9, 1), 3, 8, plte=noise(1, 4, 3).reshape(-1)))
    # GIF, BMP, TIFF, WebP lossless
    gp = Image.fromarray(noise(21, 27, 0, 0, 64), "L").convert("P")
    gp.putpalette(list(noise(1, 64, 3).reshape(-1)))
    pil("p_27x21.gif", gp, "GIF")
    pil("p_trns_27x21.gif", gp, "GIF", transparency=5)
    pil("l_16x10.gif", Image.fromarray(noise(10, 16, 0), "L"), "GIF")
    small = gp.resize((5, 4), Image.NEAREST)
    raw("p_offset_frame_12x9.gif", lambda p: offset_gif(p, small, (12, 9), (3, 2)))
    raw("p_offset_frame_trns_12x9.gif", lambda p: offset_gif(p, small, (12, 9), (6, 4), transparency=7))
    pil("rgb_19x13.bmp", Image.fromarray(noise(13, 19)), "BMP")
    pil("rgba_19x13.bmp", Image.fromarray(noise(13, 19, 4), "RGBA"), "BMP")
    pil("l_19x13.bmp", Image.fromarray(noise(13, 19, 0), "L"), "BMP")
    pil("p_19x13.bmp", gp.resize((19, 13), Image.NEAREST), "BMP")
    pil("bit1_35x9.bmp", Image.fromarray(noise(9, 35, 0, 0, 2) * 255, "L").convert("1"), "BMP")
    pil("rgb_21x17.tif", Image.fromarray(noise(17, 21)), "TIFF")
    pil("rgb_lzw_21x17.tif", Image.fromarray(noise(17, 21)), "TIFF", compression="tiff_lzw")
    pil("rgba_21x17.tif", Image.fromarray(noise(17, 21, 4), "RGBA"), "TIFF")
    pil("l_21x17.tif", Image.fromarray(noise(17, 21, 0), "L"), "TIFF")
    pil("bit1_21x17.tif", Image.fromarray(noise(17, 21, 0, 0, 2) * 255, "L").convert("1"), "TIFF")
    pil("p_21x17.tif", gp.resize((21, 17), Image.NEAREST), "TIFF")
    pil("cmyk_21x17.tif", Image.fromarray(noise(17, 21, 4), "CMYK"), "TIFF")
    pil("rgb_25x18.webp", Image.fromarray(noise(18, 25)), "WEBP", lossless=True)
    pil("rgba_25x18.webp", Image.fromarray(noise(18, 25, 4), "RGBA"), "WEBP", lossless=True, exact=True)
    return imgs


def make_lossy_webps():
    """Lossy WebP: libwebp's fancy upsampling and YUV->RGB, matched exactly."""
    out = []
    for w, h in [(1, 1), (2, 2), (7, 5), (16, 10), (33, 21), (64, 48), (5, 40)]:
        out.append((f"webp_lossy_{w}x{h}.webp", Image.fromarray(photo(h, w)), {}))
    a = np.concatenate([photo(19, 23), noise(19, 23, 1)], -1)
    out.append(("webp_lossy_rgba_23x19.webp", Image.fromarray(a, "RGBA"), {}))
    return out


def make_jpegs():
    js = []
    base = photo(48, 64)
    for sub, tag in [(0, "444"), (1, "422"), (2, "420")]:
        js.append((f"jpeg{tag}_64x48.jpg", dict(im=Image.fromarray(base), subsampling=sub, quality=90)))
    js.append(("jpeg420_17x13.jpg", dict(im=Image.fromarray(photo(13, 17)), subsampling=2, quality=85)))
    js.append(("jpeg420_4x3.jpg", dict(im=Image.fromarray(noise(3, 4)), subsampling=2, quality=95)))
    js.append(("jpeg420_prog_64x48.jpg", dict(im=Image.fromarray(base), subsampling=2, quality=80, progressive=True)))
    js.append(("jpeg_gray_33x25.jpg", dict(im=Image.fromarray(photo(25, 33, 1), "L"), quality=90)))
    exif = Image.Exif()
    exif[0x0112] = 6
    js.append(("jpeg_exif6_24x16.jpg", dict(im=Image.fromarray(photo(16, 24)), quality=90, exif=exif.tobytes())))
    js.append(("jpeg_cmyk_24x16.jpg", dict(im=Image.fromarray(photo(16, 24, 4), "CMYK"), quality=90)))
    return js


# ---- a minimal baseline JPEG encoder for what PIL cannot write: restart
# intervals, 4:4:0 / 4:1:1 / unusual sampling factors, Adobe RGB.

_ZZ = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
       12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
       35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
       58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63]
_DCTM = np.array([[(np.sqrt(0.5) if u == 0 else 1.0) * np.cos((2 * x + 1) * u * np.pi / 16) / 2
                   for x in range(8)] for u in range(8)])
# Huffman tables where every symbol has one length: DC 12 symbols of 4 bits,
# AC all 162 run/size symbols of 8 bits.
_DC_SYMS = list(range(12))
_AC_SYMS = [0x00, 0xF0] + [(r << 4) | sz for r in range(16) for sz in range(1, 11)]


def _seg(marker, data):
    return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data


class _Bits:
    def __init__(self):
        self.out, self.acc, self.n = bytearray(), 0, 0

    def put(self, v, n):
        for i in range(n - 1, -1, -1):
            self.acc = (self.acc << 1) | ((v >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc, self.n = 0, 0

    def flush(self):
        while self.n:
            self.put(1, 1)


def _category(v):
    a, n = abs(int(v)), 0
    while a:
        a >>= 1
        n += 1
    return n


def encode_jpeg(path, planes, samp, size, q=6, restart=0, adobe=None):
    """planes: per-component uint8 arrays at their own resolution;
    samp: per-component (h, v); size: (width, height)."""
    w, h = size
    hmax, vmax = max(s[0] for s in samp), max(s[1] for s in samp)
    mx, my = -(-w // (8 * hmax)), -(-h // (8 * vmax))
    padded = []
    for p, (sh, sv) in zip(planes, samp):
        ph, pw = my * sv * 8, mx * sh * 8
        padded.append(np.pad(p.astype(np.float64), ((0, ph - p.shape[0]), (0, pw - p.shape[1])), mode="edge"))
    qt = np.full(64, q)
    out = b"\xff\xd8"
    if adobe is not None:
        out += _seg(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, adobe))
    out += _seg(0xDB, bytes([0]) + bytes(qt.astype(np.uint8)))
    sof = struct.pack(">BHHB", 8, h, w, len(planes))
    for i, (sh, sv) in enumerate(samp):
        sof += bytes([i + 1, (sh << 4) | sv, 0])
    out += _seg(0xC0, sof)
    dc_bits = [0, 0, 0, 12] + [0] * 12
    ac_bits = [0] * 7 + [len(_AC_SYMS)] + [0] * 8
    out += _seg(0xC4, bytes([0x00] + dc_bits + _DC_SYMS))
    out += _seg(0xC4, bytes([0x10] + ac_bits + _AC_SYMS))
    if restart:
        out += _seg(0xDD, struct.pack(">H", restart))
    sos = bytes([len(planes)])
    for i in range(len(planes)):
        sos += bytes([i + 1, 0x00])
    out += _seg(0xDA, sos + bytes([0, 63, 0]))
    bits, pred, mcus, rst = _Bits(), [0] * len(planes), 0, 0
    for by in range(my):
        for bx in range(mx):
            if restart and mcus and mcus % restart == 0:
                bits.flush()
                bits.out += bytes([0xFF, 0xD0 + rst % 8])
                rst += 1
                pred = [0] * len(planes)
            mcus += 1
            for ci, (sh, sv) in enumerate(samp):
                for v in range(sv):
                    for hh in range(sh):
                        y0, x0 = (by * sv + v) * 8, (bx * sh + hh) * 8
                        blk = padded[ci][y0:y0 + 8, x0:x0 + 8] - 128
                        coef = np.round((_DCTM @ blk @ _DCTM.T).reshape(-1)[_ZZ] / qt).astype(int)
                        diff = coef[0] - pred[ci]
                        pred[ci] = coef[0]
                        c = _category(diff)
                        bits.put(_DC_SYMS.index(c), 4)
                        bits.put(diff if diff >= 0 else diff + (1 << c) - 1, c)
                        run = 0
                        last = max([k for k in range(1, 64) if coef[k] != 0], default=0)
                        for k in range(1, last + 1):
                            if coef[k] == 0:
                                run += 1
                                continue
                            while run > 15:
                                bits.put(_AC_SYMS.index(0xF0), 8)
                                run -= 16
                            c = _category(coef[k])
                            bits.put(_AC_SYMS.index((run << 4) | c), 8)
                            bits.put(coef[k] if coef[k] >= 0 else coef[k] + (1 << c) - 1, c)
                            run = 0
                        if last < 63:
                            bits.put(_AC_SYMS.index(0x00), 8)
    bits.flush()
    out += bytes(bits.out) + b"\xff\xd9"
    with open(path, "wb") as f:
        f.write(out)


def custom_jpegs():
    """(name, writer) for JPEGs written by encode_jpeg."""
    out = []

    def planes(w, h, samp, c=3):
        hmax, vmax = max(s[0] for s in samp), max(s[1] for s in samp)
        full = photo(h, w, c) if c > 1 else photo(h, w, 1)[:, :, None]
        full = full.reshape(h, w, -1)
        ps = []
        for i, (sh, sv) in enumerate(samp):
            fy, fx = vmax // sv, hmax // sh
            ph, pw = -(-h * sv // vmax), -(-w * sh // hmax)
            p = full[:, :, i].astype(np.float64)
            p = np.pad(p, ((0, ph * fy - h), (0, pw * fx - w)), mode="edge")
            ps.append(np.clip(p.reshape(ph, fy, pw, fx).mean(axis=(1, 3)).round(), 0, 255).astype(np.uint8))
        return ps

    def add(name, w, h, samp, c=3, **kw):
        ps = planes(w, h, samp, c)
        out.append((name, lambda p: encode_jpeg(p, ps, samp, (w, h), **kw)))

    add("enc420_restart3_45x29.jpg", 45, 29, [(2, 2), (1, 1), (1, 1)], restart=3)
    add("enc440_33x21.jpg", 33, 21, [(1, 2), (1, 1), (1, 1)])
    add("enc411_50x16.jpg", 50, 16, [(4, 1), (1, 1), (1, 1)])
    add("enc410_restart1_37x19.jpg", 37, 19, [(4, 2), (1, 1), (1, 1)], restart=1)
    add("enc_all12_19x11.jpg", 19, 11, [(1, 2), (1, 2), (1, 2)])
    add("enc_mixed_30x22.jpg", 30, 22, [(2, 2), (1, 1), (2, 1)])
    add("enc_gray_restart2_27x18.jpg", 27, 18, [(1, 1)], c=1, restart=2)
    add("enc_adobe_rgb_21x14.jpg", 21, 14, [(1, 1), (1, 1), (1, 1)], adobe=0)
    add("enc422_restart5_61x9.jpg", 61, 9, [(2, 1), (1, 1), (1, 1)], restart=5)
    return out


def resize_cases(w, h):
    c = [(max(1, w // 2), max(1, h // 3)), (2 * w + 1, h * 3 // 2 + 1), (max(1, w * 3 // 4), 2 * h + 3),
         (1, 1), (w, max(1, h // 2)), (max(1, w // 5), h)]
    out = []
    for s in c:
        if s not in out:
            out.append(s)
    return out


EVAL = [(8, 6, "bilinear"), (16, 16, "bilinear"), (12, 20, "bilinear"), (9, 7, "bicubic"), (10, 9, "nearest")]
EVAL_BIG = [(256, 224, "bilinear"), (232, 224, "bilinear"), (256, 224, "bicubic")]


def eval_case(rgb, s, c, f):
    tr = T.Compose([T.Resize(s, interpolation=TV[f]), T.CenterCrop(c)])
    cropped = tr(rgb)
    u8 = np.asarray(cropped, dtype=np.uint8)
    t = T.Normalize(MEAN, STD)(T.ToTensor()(cropped))
    return dict(resize=s, crop=c, filter=f, uint8=sha(u8.tobytes()),
                float32=sha(t.numpy().astype("<f4").tobytes()))


def main():
    torch.set_num_threads(1)
    photos = None
    if "--photos" in sys.argv:
        photos = sys.argv[sys.argv.index("--photos") + 1]
    os.makedirs(OUT, exist_ok=True)
    cases = []
    for name, write in make_images():
        path = os.path.join(OUT, name)
        write(path)
        im = Image.open(path)
        mode = im.mode
        rgb = im.convert("RGB")
        w, h = rgb.size
        case = dict(file=name, mode=mode, width=w, height=h, rgb=sha(rgb.tobytes()), resize=[], eval=[])
        for f in FILTERS:
            for (rw, rh) in resize_cases(w, h):
                out = rgb.resize((rw, rh), FILTERS[f])
                case["resize"].append(dict(width=rw, height=rh, filter=f, rgb=sha(out.tobytes())))
        ev = EVAL + (EVAL_BIG if min(w, h) >= 64 else [])
        for s, c, f in ev:
            case["eval"].append(eval_case(rgb, s, c, f))
        cases.append(case)
    jcases = []
    for name, kw in make_jpegs():
        im = kw.pop("im")
        path = os.path.join(OUT, name)
        im.save(path, "JPEG", **kw)
        got = Image.open(path).convert("RGB")
        if "exif" in name:
            # PIL ignores EXIF orientation; store what ImageOps.exif_transpose gives.
            from PIL import ImageOps
            got = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        raw_name = name + ".rgb"
        with open(os.path.join(OUT, raw_name), "wb") as f:
            f.write(got.tobytes())
        w, h = got.size
        jcases.append(dict(file=name, width=w, height=h, rgb_file=raw_name))
    for name, write in custom_jpegs():
        path = os.path.join(OUT, name)
        write(path)
        got = Image.open(path).convert("RGB")
        raw_name = name + ".rgb"
        with open(os.path.join(OUT, raw_name), "wb") as f:
            f.write(got.tobytes())
        w, h = got.size
        jcases.append(dict(file=name, width=w, height=h, rgb_file=raw_name))
    for name, im, kw in make_lossy_webps():
        path = os.path.join(OUT, name)
        im.save(path, "WEBP", quality=80, **kw)
        got = Image.open(path).convert("RGB")
        raw_name = name + ".rgb"
        with open(os.path.join(OUT, raw_name), "wb") as f:
            f.write(got.tobytes())
        w, h = got.size
        jcases.append(dict(file=name, width=w, height=h, rgb_file=raw_name))
    # The benchmark photo (bench_test.go, bench/imageio_pil.py), made last so
    # that it does not shift the random streams of the fixtures above.
    Image.fromarray(photo(750, 1000, amp=3)).save(os.path.join(OUT, "bench_1000x750.jpg"), "JPEG", quality=85)
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(dict(generator="testdata/gen/imageio_gen.py", pillow=Image.__version__,
                       cases=cases, jpeg=jcases), f, indent=1)
        f.write("\n")
    if photos:
        make_photos(photos)


def make_photos(d):
    """Realistic-size JPEGs (not committed) and PIL's decodes, for the fidelity measurement."""
    os.makedirs(d, exist_ok=True)
    specs = []
    for i, (w, h) in enumerate([(1024, 768), (800, 600), (640, 427), (1000, 750), (750, 1000), (1280, 853)]):
        a = photo(h, w, amp=6 + 2 * i)
        specs.append((f"photo{i}_420.jpg", a, dict(subsampling=2, quality=85)))
        if i < 3:
            specs.append((f"photo{i}_422.jpg", a, dict(subsampling=1, quality=90)))
            specs.append((f"photo{i}_444.jpg", a, dict(subsampling=0, quality=95)))
            specs.append((f"photo{i}_prog.jpg", a, dict(subsampling=2, quality=80, progressive=True)))
        if i == 0:
            specs.append((f"photo{i}_gray.jpg", a[:, :, 0], dict(quality=90)))
            specs.append((f"photo{i}_cmyk.jpg", np.concatenate([a, a[:, :, :1] // 3], -1), dict(quality=90)))
    a = photo(750, 1000, amp=6)
    specs.append(("photo_lossy.webp", a, dict(quality=80)))
    specs.append(("photo_lossy_alpha.webp", np.concatenate([a, a[:, :, :1]], -1), dict(quality=75)))
    manifest = []
    for name, a, kw in specs:
        mode = "L" if a.ndim == 2 else ("CMYK" if a.shape[2] == 4 else "RGB")
        if name.endswith(".webp"):
            mode = "RGBA" if a.shape[2] == 4 else "RGB"
        p = os.path.join(d, name)
        Image.fromarray(a, mode).save(p, "WEBP" if name.endswith(".webp") else "JPEG", **kw)
        got = Image.open(p).convert("RGB")
        with open(p + ".rgb", "wb") as f:
            f.write(got.tobytes())
        tr = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
        t = tr(got)
        with open(p + ".f32", "wb") as f:
            f.write(t.numpy().astype("<f4").tobytes())
        manifest.append(dict(file=name, width=got.size[0], height=got.size[1]))
    with open(os.path.join(d, "photos.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
