"""Captcha images: six characters drawn with Pillow on a noisy background, as a PNG."""

from __future__ import annotations

import io
import random
import secrets

from PIL import Image, ImageDraw, ImageFont

#: No 0/O, 1/I/L: a captcha a person can read.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 6


def new_answer() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for name in ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf", "LiberationSans-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # very old Pillow
        return ImageFont.load_default()


def render_png(answer: str, *, seed: str = "") -> bytes:
    rng = random.Random(seed or answer)
    width, height = 180, 54
    image = Image.new("RGB", (width, height), (236, 240, 245))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        draw.line(
            [(rng.randint(0, width), rng.randint(0, height)) for _ in range(2)],
            fill=(rng.randint(120, 200), rng.randint(120, 200), rng.randint(120, 200)),
            width=1,
        )
    font = _font(30)
    x = 10
    for char in answer:
        y = rng.randint(4, 14)
        draw.text((x, y), char, font=font, fill=(rng.randint(10, 80), 40, rng.randint(60, 140)))
        x += 27
    for _ in range(220):
        draw.point((rng.randint(0, width - 1), rng.randint(0, height - 1)), fill=(90, 90, 90))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
