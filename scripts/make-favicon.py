#!/usr/bin/env python3
"""Draws templates/assets/favicon.ico (32x32, 32-bit): a white envelope on the accent blue.
The same picture as templates/assets/icon.svg, for browsers and tools that only ask /favicon.ico."""
import struct
from pathlib import Path

SIZE = 32
BLUE = (0xD0, 0x62, 0x0A, 0xFF)  # BGRA of #0a62d0
WHITE = (0xFF, 0xFF, 0xFF, 0xFF)
CLEAR = (0, 0, 0, 0)


def pixel(x: int, y: int):
    # rounded square, corner radius 6
    r = 6
    cx = min(max(x, r), SIZE - 1 - r)
    cy = min(max(y, r), SIZE - 1 - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return CLEAR
    # a white envelope 6..25 x 9..22, its flap a blue V from the top corners to the middle
    if 6 <= x <= 25 and 9 <= y <= 22:
        edge = x in (6, 25) or y in (9, 22)
        flap = abs((y - 9) - (x - 6) * 7 / 10) < 1.1 or abs((y - 9) - (25 - x) * 7 / 10) < 1.1
        return BLUE if flap and y <= 16 and not edge else WHITE
    return BLUE


rows = []
for y in range(SIZE - 1, -1, -1):  # BMP rows go bottom up
    rows.append(b''.join(bytes(pixel(x, y)) for x in range(SIZE)))
pixels = b''.join(rows)
mask = b'\x00' * (SIZE * SIZE // 8)  # AND mask unused with alpha, 4 bytes per row of 32 pixels
header = struct.pack('<IiiHHIIiiII', 40, SIZE, SIZE * 2, 1, 32, 0, len(pixels) + len(mask), 0, 0, 0, 0)
image = header + pixels + mask
icon = struct.pack('<HHH', 0, 1, 1) + struct.pack('<BBBBHHII', SIZE, SIZE, 0, 0, 1, 32, len(image), 6 + 16) + image
Path(__file__).resolve().parent.parent.joinpath('templates', 'assets', 'favicon.ico').write_bytes(icon)
