"""Demo photos of the demo's lots, drawn with Pillow (no files shipped, no fonts needed).

Flat scenes, the kind a court's officer photographs on site: a block of flats and its living
room, a shop front on a street, a car from the side and its dashboard, an office tower, a plot
of land. Each is deterministic (seeded), 960×720 JPEG, and honest: the demo marks them 示例.
A real court uploads its own photos and videos through the asset page.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

W, H = 960, 720
RGB = tuple[int, int, int]


def _sky(d: ImageDraw.ImageDraw, top: RGB, bottom: RGB, height: int) -> None:
    for y in range(height):
        t = y / max(1, height - 1)
        d.line(
            [(0, y), (W, y)],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )


def _tree(d: ImageDraw.ImageDraw, x: int, ground: int, size: int, rng: random.Random) -> None:
    d.rectangle([x - size // 10, ground - size, x + size // 10, ground], fill=(92, 64, 40))
    for _ in range(6):
        r = size // 2 + rng.randint(-size // 8, size // 8)
        cx, cy = x + rng.randint(-size // 3, size // 3), ground - size - rng.randint(0, size // 2)
        green = (40 + rng.randint(0, 30), 110 + rng.randint(0, 40), 50 + rng.randint(0, 20))
        d.ellipse([cx - r, cy - r, cx + r, cy - r + 2 * r], fill=green)


def _clouds(d: ImageDraw.ImageDraw, rng: random.Random, n: int = 3) -> None:
    for _ in range(n):
        x, y = rng.randint(40, W - 200), rng.randint(30, 150)
        for k in range(4):
            r = rng.randint(22, 40)
            d.ellipse([x + k * 32 - r, y - r, x + k * 32 + r, y + r], fill=(250, 250, 252))


def flat_exterior(seed: int) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _sky(d, (120, 170, 225), (205, 225, 245), 520)
    _clouds(d, rng)
    ground = 560
    d.rectangle([0, ground, W, H], fill=(120, 150, 95))
    d.polygon([(380, H), (470, ground), (520, ground), (640, H)], fill=(185, 180, 170))
    # three blocks of flats, the middle one nearest
    for bx, bw, top, wall in (
        (40, 260, 170, (226, 214, 196)),
        (660, 270, 200, (214, 220, 226)),
        (290, 380, 90, (236, 226, 208)),
    ):
        d.rectangle([bx, top, bx + bw, ground], fill=wall, outline=(160, 150, 140), width=2)
        d.rectangle([bx - 6, top - 14, bx + bw + 6, top], fill=(150, 90, 70))
        floors = (ground - top - 40) // 52
        cols = bw // 62
        for f in range(floors):
            for c in range(cols):
                x0 = bx + 16 + c * 62
                y0 = top + 24 + f * 52
                lit = rng.random() < 0.18
                d.rectangle(
                    [x0, y0, x0 + 38, y0 + 30], fill=(250, 228, 160) if lit else (110, 140, 165)
                )
                d.line([(x0 + 19, y0), (x0 + 19, y0 + 30)], fill=(235, 235, 235), width=2)
                d.rectangle([x0 - 4, y0 + 30, x0 + 42, y0 + 34], fill=(200, 200, 200))
        d.rectangle([bx + bw // 2 - 26, ground - 64, bx + bw // 2 + 26, ground], fill=(90, 70, 60))
    for x in (30, 250, 610, 900):
        _tree(d, x, ground + 40, 70 + rng.randint(0, 30), rng)
    return img.filter(ImageFilter.SMOOTH)


def flat_living_room(seed: int) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", (W, H), (236, 230, 218))
    d = ImageDraw.Draw(img)
    floor = 470
    d.polygon([(0, floor), (W, floor), (W, H), (0, H)], fill=(176, 132, 92))
    for k in range(-6, 16):
        d.line([(k * 80, H), (480 + (k - 5) * 30, floor)], fill=(160, 118, 80), width=2)
    d.rectangle([0, floor - 8, W, floor], fill=(220, 214, 200))
    # window with a view
    d.rectangle([560, 90, 880, 380], fill=(250, 250, 250))
    d.rectangle([575, 105, 865, 365], fill=(160, 200, 235))
    d.rectangle([575, 290, 865, 365], fill=(140, 170, 130))
    d.line([(720, 105), (720, 365)], fill=(250, 250, 250), width=8)
    d.rectangle([540, 80, 585, 420], fill=(190, 80, 70))  # curtain
    # sofa, table, rug, lamp, picture
    d.ellipse([140, 560, 640, 690], fill=(120, 140, 170))
    d.rounded_rectangle([90, 330, 500, 470], 24, fill=(95, 110, 120))
    d.rounded_rectangle([70, 380, 520, 520], 24, fill=(110, 126, 138))
    for x in (120, 250, 380):
        d.rounded_rectangle([x, 350, x + 115, 420], 18, fill=(128, 146, 158))
    d.rectangle([240, 540, 520, 560], fill=(120, 80, 50))
    d.rectangle([255, 560, 270, 620], fill=(100, 64, 40))
    d.rectangle([490, 560, 505, 620], fill=(100, 64, 40))
    d.line([(760, floor + 120), (760, 260)], fill=(60, 60, 60), width=5)
    d.polygon([(720, 260), (800, 260), (780, 200), (740, 200)], fill=(245, 225, 170))
    d.rectangle([170, 130, 400, 270], fill=(255, 255, 255), outline=(130, 100, 70), width=8)
    for _ in range(5):
        x, y = rng.randint(190, 360), rng.randint(150, 230)
        d.ellipse([x, y, x + 40, y + 30], fill=(rng.randint(80, 220), rng.randint(120, 200), 140))
    return img.filter(ImageFilter.SMOOTH)


def flat_kitchen(seed: int) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", (W, H), (240, 240, 236))
    d = ImageDraw.Draw(img)
    for y in range(120, 420, 40):  # tiles
        for x in range(0, W, 40):
            d.rectangle([x, y, x + 38, y + 38], fill=(228, 234, 236))
    d.rectangle([0, 0, W, 120], fill=(250, 250, 248))
    for x in range(40, W - 40, 180):  # wall cupboards
        d.rectangle([x, 20, x + 160, 150], fill=(210, 190, 160), outline=(170, 150, 120), width=3)
        d.rectangle([x + 70, 120, x + 90, 128], fill=(120, 120, 120))
    d.rectangle([0, 420, W, 460], fill=(70, 70, 74))  # worktop
    d.rectangle([0, 460, W, H], fill=(215, 196, 168))
    for x in range(20, W, 190):
        d.rectangle([x, 480, x + 170, 690], outline=(175, 155, 125), width=3)
        d.rectangle([x + 75, 500, x + 95, 508], fill=(110, 110, 110))
    d.rectangle([560, 380, 760, 420], fill=(30, 30, 32))  # hob
    for cx in (610, 710):
        d.ellipse([cx - 28, 388, cx + 28, 412], outline=(200, 60, 40), width=3)
    d.rounded_rectangle([180, 300, 300, 420], 10, fill=(150, 150, 155))  # kettle-ish
    d.rectangle([400, 330, 420, 420], fill=(60, 120, 60))
    d.ellipse([370, 290, 450, 350], fill=(70, 150, 70))
    _ = rng
    return img.filter(ImageFilter.SMOOTH)


def shop_front(seed: int) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _sky(d, (150, 190, 230), (220, 232, 245), 200)
    d.rectangle([0, 60, W, 560], fill=(200, 190, 176))
    for f in range(2):  # upper floors
        for c in range(6):
            x0, y0 = 40 + c * 155, 80 + f * 90
            d.rectangle(
                [x0, y0, x0 + 90, y0 + 60], fill=(120, 145, 170), outline=(240, 240, 240), width=4
            )
    d.rectangle([0, 270, W, 330], fill=(160, 40, 40))  # sign board (no lettering)
    for k in range(8):
        d.rectangle([60 + k * 110, 286, 120 + k * 110, 314], fill=(235, 200, 120))
    d.polygon([(0, 330), (W, 330), (W - 20, 372), (20, 372)], fill=(40, 110, 80))  # awning
    for k in range(0, W, 60):
        d.polygon([(k, 372), (k + 30, 372), (k + 15, 392)], fill=(40, 110, 80))
    d.rectangle([60, 392, 900, 560], fill=(70, 80, 90))
    d.rectangle([80, 405, 560, 560], fill=(150, 185, 200))  # glass
    d.rectangle([600, 405, 880, 560], fill=(130, 165, 182))
    d.line([(320, 405), (320, 560)], fill=(70, 80, 90), width=6)
    d.line([(740, 405), (740, 560)], fill=(70, 80, 90), width=6)
    for _ in range(6):  # goods behind the glass
        x = rng.randint(100, 520)
        d.rectangle([x, 500, x + 30, 560], fill=(rng.randint(150, 230), rng.randint(90, 200), 90))
    d.rectangle([0, 560, W, 600], fill=(170, 170, 168))  # pavement
    d.rectangle([0, 600, W, H], fill=(80, 80, 84))
    for x in range(0, W, 140):
        d.rectangle([x, 655, x + 70, 665], fill=(235, 235, 235))
    return img.filter(ImageFilter.SMOOTH)


def shop_interior(seed: int) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", (W, H), (232, 232, 228))
    d = ImageDraw.Draw(img)
    d.polygon([(0, 520), (W, 520), (W, H), (0, H)], fill=(190, 190, 184))
    for x in range(0, W, 80):
        d.line([(x, 520), (x - 120 + x // 4, H)], fill=(176, 176, 170), width=2)
    d.rectangle([0, 0, W, 60], fill=(245, 245, 245))
    for x in range(80, W, 200):
        d.rectangle([x, 20, x + 120, 34], fill=(255, 255, 230))
    for sx in (60, 360, 660):  # empty shelving
        d.rectangle([sx, 160, sx + 240, 520], outline=(120, 120, 120), width=6)
        for y in range(220, 520, 75):
            d.line([(sx, y), (sx + 240, y)], fill=(120, 120, 120), width=5)
            for _ in range(2):
                x = rng.randint(sx + 10, sx + 190)
                d.rectangle([x, y - 30, x + 36, y - 3], fill=(200, 170, 120))
    return img.filter(ImageFilter.SMOOTH)


def car_side(seed: int, colour: RGB = (40, 60, 95)) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _sky(d, (175, 200, 225), (225, 232, 240), 420)
    d.rectangle([0, 420, W, H], fill=(120, 122, 125))  # parking lot
    for x in range(40, W, 230):
        d.line([(x, 470), (x - 60, H)], fill=(235, 235, 235), width=6)
    d.rectangle([0, 330, W, 420], fill=(170, 160, 150))  # wall behind
    body = [
        (140, 520),
        (160, 440),
        (300, 420),
        (380, 330),
        (620, 325),
        (720, 420),
        (830, 440),
        (850, 520),
    ]
    d.polygon(body, fill=colour)
    shade = tuple(max(0, c - 25) for c in colour)
    d.polygon([(140, 520), (850, 520), (845, 540), (145, 540)], fill=shade)
    d.polygon([(400, 345), (495, 342), (495, 420), (330, 420)], fill=(170, 195, 215))  # windows
    d.polygon([(510, 342), (610, 342), (690, 420), (510, 420)], fill=(170, 195, 215))
    d.line([(500, 430), (500, 515)], fill=shade, width=3)
    d.rectangle([545, 445, 580, 452], fill=(200, 200, 200))
    d.ellipse([810, 455, 845, 475], fill=(250, 240, 200))  # lamps
    d.rectangle([140, 462, 158, 480], fill=(200, 50, 40))
    for cx in (280, 700):  # wheels
        d.ellipse([cx - 68, 472, cx + 68, 608], fill=(30, 30, 30))
        d.ellipse([cx - 38, 502, cx + 38, 578], fill=(185, 185, 190))
        d.ellipse([cx - 10, 530, cx + 10, 550], fill=(90, 90, 90))
    d.ellipse([170, 600, 820, 640], fill=(95, 96, 100))
    _ = rng
    return img.filter(ImageFilter.SMOOTH)


def car_dashboard(seed: int) -> Image.Image:
    img = Image.new("RGB", (W, H), (45, 45, 48))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, W, 300], fill=(160, 185, 205))  # windscreen
    d.rectangle([0, 230, W, 300], fill=(120, 140, 110))
    d.polygon([(0, 300), (W, 300), (W, 420), (0, 460)], fill=(30, 30, 32))
    d.ellipse([170, 300, 530, 660], outline=(20, 20, 20), width=34)  # steering wheel
    d.ellipse([300, 430, 400, 530], fill=(25, 25, 25))
    d.line([(200, 480), (300, 480)], fill=(20, 20, 20), width=30)
    d.line([(400, 480), (500, 480)], fill=(20, 20, 20), width=30)
    for cx in (280, 420):  # dials
        d.ellipse([cx - 48, 320, cx + 48, 416], fill=(15, 15, 18), outline=(200, 200, 200), width=3)
        d.line([(cx, 368), (cx + 30, 340)], fill=(230, 90, 40), width=4)
    d.rounded_rectangle([600, 330, 800, 450], 10, fill=(20, 40, 60))  # screen
    d.rectangle([615, 345, 785, 435], fill=(40, 90, 130))
    for k in range(5):
        d.ellipse([610 + k * 40, 480, 640 + k * 40, 510], fill=(90, 90, 95))
    d.rectangle([0, 560, W, H], fill=(70, 60, 55))
    _ = seed
    return img.filter(ImageFilter.SMOOTH)


def office_tower(seed: int) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _sky(d, (100, 150, 210), (200, 220, 240), 600)
    _clouds(d, rng, 2)
    d.rectangle([0, 600, W, H], fill=(150, 150, 150))
    for bx, bw, top in ((40, 200, 260), (700, 220, 220)):
        d.rectangle([bx, top, bx + bw, 600], fill=(170, 180, 190))
        for y in range(top + 20, 590, 36):
            d.line([(bx + 10, y), (bx + bw - 10, y)], fill=(120, 150, 180), width=14)
    d.rectangle([300, 60, 640, 600], fill=(70, 110, 150))  # the tower
    for y in range(80, 590, 30):
        for x in range(315, 630, 40):
            d.rectangle(
                [x, y, x + 30, y + 20],
                fill=(150, 190, 220) if rng.random() < 0.85 else (240, 220, 150),
            )
    d.rectangle([420, 540, 520, 600], fill=(40, 60, 80))
    return img.filter(ImageFilter.SMOOTH)


def land_plot(seed: int) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    _sky(d, (140, 185, 230), (215, 230, 245), 330)
    d.polygon(
        [(0, 330), (200, 280), (420, 320), (640, 270), (W, 320), (W, 340), (0, 340)],
        fill=(110, 140, 120),
    )
    d.rectangle([0, 340, W, H], fill=(170, 150, 100))
    for k in range(14):
        y = 350 + k * k * 2 + k * 6
        d.line([(0, y), (W, y)], fill=(150, 130, 86), width=2)
    for x in range(60, W, 110):  # fence posts
        d.rectangle([x, 420, x + 8, 500], fill=(100, 80, 60))
    d.line([(60, 440), (W, 440)], fill=(90, 90, 90), width=2)
    d.line([(60, 470), (W, 470)], fill=(90, 90, 90), width=2)
    for x in (100, 820):
        _tree(d, x, 340, 60, rng)
    return img.filter(ImageFilter.SMOOTH)


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=82, optimize=True, progressive=True)
    return buf.getvalue()


SCENES: dict[str, list[tuple[str, Callable[[int], Image.Image]]]] = {
    "residential": [
        ("小区外观", flat_exterior),
        ("客厅", flat_living_room),
        ("厨房", flat_kitchen),
    ],
    "commercial": [("临街门面", shop_front), ("室内现状", shop_interior)],
    "vehicle": [("车身侧面", car_side), ("驾驶室", car_dashboard)],
    "equity": [("公司办公楼", office_tower)],
    "land": [("地块现状", land_plot)],
    "movable": [("存放现场", shop_interior)],
}


def photos_for(kind: str, *, seed: int = 1) -> list[tuple[str, bytes]]:
    """(caption, JPEG bytes) for an asset of ``kind``; a generic scene for an unknown kind."""
    scenes = SCENES.get(kind) or [("现场照片", office_tower)]
    return [(caption, _jpeg(draw(seed * 31 + i))) for i, (caption, draw) in enumerate(scenes)]
