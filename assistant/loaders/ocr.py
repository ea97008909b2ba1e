"""OCR of page images with Debian's tesseract, offline: hOCR -> lines with their text size, in reading order.

Tesseract runs as a child process, one per page (`OMP_THREAD_LIMIT=1`; pages run side by side instead),
reading a PNG on stdin and writing hOCR, whose lines carry tesseract's estimate of the text size
(`x_size`); that size, in points, lets the PDF layout code find headings on scanned pages as it does on
text pages. Why tesseract and not RapidOCR: README "OCR" and `benchmarks/ocr.py`.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.errors import OcrUnavailableError

if TYPE_CHECKING:
    from PIL.Image import Image


@dataclass(frozen=True, slots=True)
class OcrTuning:
    """Numbers that decide how a page is OCRed and what of tesseract's output is kept."""

    min_dpi: int = 200
    max_dpi: int = 300
    """Pages are rendered at their scan's own resolution kept within these bounds (vector pages at min_dpi):
    benchmarks/ocr.py read the 200-dpi scans as well at 200 dpi as at 300 (word recall 0.983 both, CER
    0.101) for 26% less CPU (3.36 against 4.53 s/page); 300 dpi is what tesseract's documentation advises."""
    min_word_confidence: float = 20.0
    """Words tesseract is less sure of are dropped: on 6 of the benchmarks/ocr.py scans (EudraLex, EMA GVP,
    a brochure; grey and 1-bit) 7 of 2,858 words (0.2%) scored under 20, and 99% scored 47 or more; on the
    noise pages of tests/fixtures_pdf.write_scanned_pdf tesseract read no word at all."""
    min_found_chars: int = 3
    """Fewer letters and digits than this on a page counts as 'OCR found nothing' (one or two characters
    are specks or a stray page mark, not text a question can be answered from; a judgement)."""
    cell_gap: float = 1.2
    """A gap between two words wider than this many text heights splits table cells with ' | ', the rule
    pdf_layout.py applies to drawn text."""
    size_step_pt: float = 0.5
    """Text sizes are rounded to this step, so one heading style read at slightly different sizes does not
    become several heading levels (a judgement, not measured)."""
    page_timeout_s: float = 180.0
    """One page may take this long (benchmarks/ocr.py: 3 to 7 s per page on this 2-core machine)."""

    def render_dpi(self, image_dpi: float) -> int:
        """The resolution to render a page at, given its largest picture's own resolution (0: none)."""
        if image_dpi <= 0:
            return self.min_dpi
        return int(min(self.max_dpi, max(self.min_dpi, round(image_dpi))))


OCR_TUNING = OcrTuning()

_BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")
_X_SIZE = re.compile(r"x_size ([\d.]+)")
_CONF = re.compile(r"x_wconf (\d+)")
_ALNUM = re.compile(r"[^\W_]", re.UNICODE)
_NS = "{http://www.w3.org/1999/xhtml}"


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line read from a page image: its text, text size in points and mean word confidence (0-100)."""

    text: str
    size: float
    confidence: float


@dataclass(frozen=True, slots=True)
class OcrPage:
    """What OCR read on one page, lines in tesseract's reading order (columns and blocks kept apart)."""

    lines: tuple[OcrLine, ...]
    seconds: float = 0.0

    @property
    def text(self) -> str:
        """The page's lines, one per row."""
        return "\n".join(line.text for line in self.lines)

    @property
    def chars(self) -> int:
        """Letters and digits read."""
        return count_chars(self.text)

    def fragments(self) -> list[tuple[str, float, bool]]:
        """(text, size in points, bold) per line: the shape pdf_layout.extract_page gives for a text page."""
        return [(line.text, line.size, False) for line in self.lines]


def count_chars(text: str) -> int:
    """Letters and digits in a text (what 'a page has text' is measured in)."""
    return len(_ALNUM.findall(text))


class Tesseract:
    """The tesseract command-line program, checked once; `read` may be called from several threads."""

    def __init__(self, languages: str = "eng", binary: str | None = None, tuning: OcrTuning = OCR_TUNING) -> None:
        self.languages = languages.strip() or "eng"
        self.binary = binary
        self.tuning = tuning
        self._checked = False
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise OcrUnavailableError (with the install command) unless tesseract and its languages are there."""
        with self._lock:
            if self._checked:
                return
            binary = shutil.which(self.binary or "tesseract")
            if binary is None:
                raise OcrUnavailableError(
                    "OCR is not available: the tesseract program is not installed.",
                    "Install it (`make system-deps`, or `apt-get install tesseract-ocr`), "
                    "or set ASSISTANT_OCR=false to skip pages without a text layer.",
                )
            try:
                listed = subprocess.run(
                    [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=True
                ).stdout
            except (OSError, subprocess.SubprocessError) as exc:
                raise OcrUnavailableError(
                    f"OCR is not available: `{binary} --list-langs` failed ({exc.__class__.__name__}).",
                    "Reinstall tesseract-ocr (`apt-get install --reinstall tesseract-ocr`).",
                ) from exc
            have = {line.strip() for line in listed.splitlines()[1:] if line.strip()}
            missing = [lang for lang in self.languages.split("+") if lang not in have]
            if missing:
                packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
                raise OcrUnavailableError(
                    f"OCR language(s) {', '.join(missing)} not installed (have: {', '.join(sorted(have)) or 'none'}).",
                    f"Install them (`apt-get install {packages}`) or change ASSISTANT_OCR_LANGUAGES.",
                )
            self.binary = binary
            self._checked = True

    def read(self, image: Image, dpi: int) -> OcrPage:
        """OCR one page image rendered at `dpi`."""
        self.check()
        assert self.binary is not None
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        command = [self.binary, "stdin", "stdout", "-l", self.languages, "--psm", "3", "--dpi", str(dpi), "hocr"]
        started = time.perf_counter()
        done = subprocess.run(
            command, input=buffer.getvalue(), capture_output=True, env=env, timeout=self.tuning.page_timeout_s
        )
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise RuntimeError(f"tesseract exited with {done.returncode}: {detail[0]}")
        lines = parse_hocr(done.stdout, dpi, self.tuning)
        return OcrPage(lines, time.perf_counter() - started)


def parse_hocr(data: bytes, dpi: int, tuning: OcrTuning = OCR_TUNING) -> tuple[OcrLine, ...]:
    """Lines of a tesseract hOCR page: confident words, ' | ' between far-apart cells, size in points."""
    root = ET.fromstring(data)
    lines: list[OcrLine] = []
    for span in root.iter(f"{_NS}span"):
        if span.get("class") != "ocr_line" and span.get("class") not in ("ocr_caption", "ocr_header", "ocr_textfloat"):
            continue
        title = span.get("title", "")
        size_match = _X_SIZE.search(title)
        words: list[tuple[str, int, int, float]] = []  # (text, left, right end of the word before it, confidence)
        previous_end: int | None = None
        for word in span.iter(f"{_NS}span"):
            if word.get("class") != "ocrx_word":
                continue
            text = "".join(word.itertext()).strip()
            box = _BBOX.search(word.get("title", ""))
            conf = _CONF.search(word.get("title", ""))
            confidence = float(conf.group(1)) if conf else 0.0
            if box is None:
                continue
            start, end = int(box.group(1)), int(box.group(3))
            # The gap is measured from the word before, kept or not: a dropped word leaves no cell gap.
            before, previous_end = (start if previous_end is None else previous_end), end
            if not text or confidence < tuning.min_word_confidence:
                continue
            words.append((text, start, before, confidence))
        if not words:
            continue
        height_px = float(size_match.group(1)) if size_match else 0.0
        if not height_px:
            box = _BBOX.search(title)
            height_px = float(int(box.group(4)) - int(box.group(2))) if box else 0.0
        pieces = [words[0][0]]
        for text, start, before, _ in words[1:]:
            gap = start - before
            pieces.append((" | " if height_px and gap > tuning.cell_gap * height_px else " ") + text)
        text = "".join(pieces)
        if count_chars(text) == 0:
            continue
        points = height_px * 72.0 / dpi
        size = round(points / tuning.size_step_pt) * tuning.size_step_pt if points else 0.0
        confidence = sum(w[3] for w in words) / len(words)
        lines.append(OcrLine(text, size, confidence))
    return tuple(lines)
