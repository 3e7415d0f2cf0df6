"""Chinese PDFs made on the server without the internet: the documents (检查笔录, 移送函, 告知书,
处理决定书) and the reports for the region.

PDFs are drawn with fpdf2 (pure Python, embeds a subset of the font it is given). The product
ships no font: it uses the Noto CJK fonts of the system (Debian/Ubuntu `fonts-noto-cjk`, the
same files on Fedora and Arch), or the files named by `SUPERVISION_DOCUMENT_FONT` /
`SUPERVISION_DOCUMENT_FONT_BOLD` (a TrueType/OpenType file or collection; the Simplified Chinese
face of a collection is chosen by its name). Without any, making a PDF raises FontMissing, whose
message says what to install; nothing else of the product depends on it.

Two families are registered on every document: "serif" (Noto Serif CJK SC, the 宋体 of official
documents) for text and "sans" (Noto Sans CJK SC, the 黑体) for headings, each in regular and bold;
a family the system lacks is drawn with the other.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import TextEmphasis

# Where distributions install the Noto CJK collections.
FONT_DIRECTORIES = (
    "/usr/share/fonts/opentype/noto",  # Debian, Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/google-noto-cjk",  # Fedora: google-noto-*-cjk-fonts
    "/usr/share/fonts/noto-cjk",  # Arch: noto-fonts-cjk
    "/usr/share/fonts/opentype/noto-cjk",
)
FILES = {
    ("serif", ""): "NotoSerifCJK-Regular.ttc",
    ("serif", "B"): "NotoSerifCJK-Bold.ttc",
    ("sans", ""): "NotoSansCJK-Regular.ttc",
    ("sans", "B"): "NotoSansCJK-Bold.ttc",
}
PRODUCER = "医保基金监管系统"


class FontMissing(Exception):
    """No Chinese font on this server: the PDF cannot be drawn."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "服务器上没有中文字体，无法生成 PDF。请安装 fonts-noto-cjk"
                "（apt-get install fonts-noto-cjk），或用 SUPERVISION_DOCUMENT_FONT 指定字体文件。"
            )
        )


@dataclass(frozen=True)
class Face:
    """One font file and, in a collection, the number of its Simplified Chinese face."""

    path: str
    index: int = 0


def simplified_chinese_index(path: str) -> int:
    """The face of a collection whose family name ends in "SC" (Noto) or says 简 / GB; the first
    face otherwise (and for a single font file)."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    try:
        for number, font in enumerate(collection.fonts):
            family = str(font["name"].getDebugName(1) or "")
            if family.endswith(" SC") or "简" in family or "GB" in family:
                return number
    finally:
        collection.close()
    return 0


@functools.cache
def faces() -> dict[tuple[str, str], Face]:
    """The faces found on this server, by (family, style); empty when there is none."""
    found: dict[tuple[str, str], Face] = {}
    for name, variable in (
        ("", "SUPERVISION_DOCUMENT_FONT"),
        ("B", "SUPERVISION_DOCUMENT_FONT_BOLD"),
    ):
        chosen = os.environ.get(variable)
        if chosen and Path(chosen).is_file():
            face = Face(chosen, simplified_chinese_index(chosen))
            found[("serif", name)] = found[("sans", name)] = face
    for key, file_name in FILES.items():
        if key in found:
            continue
        for directory in FONT_DIRECTORIES:
            path = Path(directory) / file_name
            if path.is_file():
                found[key] = Face(str(path), simplified_chinese_index(str(path)))
                break
    # A missing family or weight is drawn with what there is.
    for family, other in (("serif", "sans"), ("sans", "serif")):
        for style in ("", "B"):
            if (family, style) not in found:
                for fallback in ((other, style), (family, ""), (other, "")):
                    if fallback in found:
                        found[(family, style)] = found[fallback]
                        break
    return found


def fonts_available() -> bool:
    return bool(faces())


class ChinesePDF(FPDF):
    """An A4 page with the Chinese faces registered, margins of an official document (GB/T 9704:
    37 mm top, 28 mm left, 26 mm right, 35 mm bottom) and the page number centred in the footer
    ("— 1 —"). `title` goes into the file's properties."""

    def __init__(self, title: str) -> None:
        found = faces()
        if not found:
            raise FontMissing
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.faces = found
        self.set_margins(left=28, top=37, right=26)
        self.set_auto_page_break(auto=True, margin=35)
        self.set_title(title)
        self.set_creator(PRODUCER)
        self.set_producer(PRODUCER)
        self.set_lang("zh-CN")
        self.set_font("serif", size=12)

    def set_font(self, family: str | None = None, style: Any = "", size: float = 0) -> None:
        """Each face is read when it is first used (reading one takes ~0.4 s)."""
        letters = TextEmphasis.coerce(style).style if style else ""
        key = ((family or self.font_family).lower(), "B" if "B" in letters else "")
        face = self.faces.get(key)
        if face is not None and (key[0] + key[1]) not in self.fonts:
            self.add_font(key[0], key[1], face.path, collection_font_number=face.index)
        super().set_font(family, style, size)

    def footer(self) -> None:
        self.set_y(-25)
        self.set_font("serif", size=10)
        self.cell(0, 8, f"— {self.page_no()} —", align="C")

    def to_bytes(self) -> bytes:
        return bytes(self.output())
