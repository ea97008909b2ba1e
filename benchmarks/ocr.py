"""OCR engines compared on scan-like pages made from real PDFs: accuracy, seconds per page, memory.

    .venv/bin/python benchmarks/ocr.py [--pages 8] [--dpi 200] [--engines rapidocr tesseract]

Pages of real text PDFs (the EudraLex and EMA guidance in /work/shared/realdocs when present, and the
shipped brochures) go through a simulated scanner (benchmarks/scans.py: skew, blur, noise, JPEG or
1-bit), are stored as image-only PDFs, then each engine reads them back the way ingest does: pypdfium2
renders the page at --dpi and the engine reads the picture. Every engine runs in its own child process,
so its peak memory is its own. Scores against pdfium's text of the original page:
CER (character edits / reference characters), WER (word edits / reference words, reading order counts)
and word recall (share of the reference's words found, in any order, which is what retrieval needs).
The script always exits 0; `tesseract` is skipped when the binary is missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.scans import PROFILES, normalize, scan_page, words, write_image_pdf  # noqa: E402

REALDOCS = Path("/work/shared/realdocs/docs")
SOURCES = (
    (REALDOCS / "eudralex-vol4-ch2-personnel.pdf", (1, 3)),
    (REALDOCS / "ema-gvp-module-i-pharmacovigilance-systems.pdf", (3, 8)),
    (ROOT / "corpus" / "brochures" / "aseptix-fill-solutions.pdf", (1, 3)),
    (ROOT / "corpus" / "brochures" / "meridian-cdmo.pdf", (0,)),
)


def build_set(work: Path, limit: int) -> list[dict[str, str | int]]:
    """Scanned PDFs (one page each) with their reference text; returns one entry per page."""
    entries: list[dict[str, str | int]] = []
    for pdf_path, indexes in SOURCES:
        if not pdf_path.exists():
            continue
        for index in indexes:
            for profile in PROFILES:
                page = scan_page(pdf_path, index, profile)
                out = write_image_pdf([page], work / f"{page.name}.pdf")
                entries.append({"name": page.name, "pdf": str(out), "truth": page.truth, "profile": profile.name})
    by_profile: dict[str, list[dict[str, str | int]]] = {}
    for entry in entries:
        by_profile.setdefault(str(entry["profile"]), []).append(entry)
    keep = max(1, limit // max(1, len(by_profile)))
    return [e for group in by_profile.values() for e in group[:keep]]


def read_rapidocr(image: object) -> str:
    import numpy as np
    from rapidocr_onnxruntime import RapidOCR

    global _RAPID
    if _RAPID is None:
        _RAPID = RapidOCR(intra_op_num_threads=2, inter_op_num_threads=1)
    result, _ = _RAPID(np.asarray(image.convert("RGB")))  # type: ignore[attr-defined]
    return "\n".join(text for _, text, _ in (result or []))


_RAPID = None


def read_tesseract(image: object) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # type: ignore[attr-defined]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    done = subprocess.run(
        ["tesseract", "stdin", "stdout", "-l", "eng", "--psm", "3"],
        input=buffer.getvalue(),
        capture_output=True,
        env=env,
        check=True,
    )
    return done.stdout.decode("utf-8", errors="replace")


ENGINES = {"rapidocr": read_rapidocr, "tesseract": read_tesseract}
TESSERACT_PACKAGES = ("tesseract-ocr", "tesseract-ocr-eng", "tesseract-ocr-osd", "libtesseract5", "liblept5")
"""What `apt-get install tesseract-ocr` added on Debian 12 besides libraries chromium had brought already."""


def child(engine: str, set_file: Path, dpi: int) -> None:
    """Run one engine over the set and print one JSON line per page, then one summary line."""
    import pypdfium2 as pdfium
    from rapidfuzz.distance import Levenshtein

    read = ENGINES[engine]
    entries = json.loads(set_file.read_text(encoding="utf-8"))
    started = time.perf_counter()
    read(_blank())  # load the models before timing pages
    warm_s = time.perf_counter() - started
    for entry in entries:
        pdf = pdfium.PdfDocument(entry["pdf"])
        t0, c0 = time.perf_counter(), _cpu()
        image = pdf[0].render(scale=dpi / 72, grayscale=True).to_pil()
        text = read(image)
        seconds, cpu = time.perf_counter() - t0, _cpu() - c0
        pdf.close()
        truth = str(entry["truth"])
        ref, got = normalize(truth), normalize(text)
        ref_words, got_words = words(truth), words(text)
        found = sum((Counter(ref_words) & Counter(got_words)).values())
        print(
            json.dumps(
                {
                    "page": entry["name"],
                    "profile": entry["profile"],
                    "seconds": seconds,
                    "cpu_seconds": cpu,
                    "cer": Levenshtein.distance(ref, got) / max(1, len(ref)),
                    "wer": Levenshtein.distance(ref_words, got_words) / max(1, len(ref_words)),
                    "word_recall": found / max(1, len(ref_words)),
                }
            ),
            flush=True,
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"summary": engine, "warm_s": warm_s, "peak_rss_mb": peak, "peak_child_rss_mb": peak_children}))


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _blank() -> object:
    from PIL import Image, ImageDraw

    image = Image.new("L", (400, 100), 255)
    ImageDraw.Draw(image).text((10, 40), "warm up", fill=0)
    return image


def install_size_mb(engine: str) -> str:
    """Disk taken by what the engine needs beyond this project's other dependencies."""
    if engine == "tesseract":
        sizes = subprocess.run(
            ["dpkg-query", "-Wf", "${Installed-Size}\n", *TESSERACT_PACKAGES],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        return f"{sum(int(s) for s in sizes if s.isdigit()) / 1024:.0f} MB (apt: {', '.join(TESSERACT_PACKAGES)})"
    total = 0
    names = ("rapidocr_onnxruntime", "cv2", "opencv_python.libs", "shapely", "shapely.libs", "pyclipper")
    base = Path(importlib.util.find_spec("rapidocr_onnxruntime").origin).parent.parent  # type: ignore[union-attr, arg-type]
    for name in names:
        for path in (base / name).rglob("*") if (base / name).exists() else []:
            if path.is_file():
                total += path.stat().st_size
    return f"{total / 1e6:.0f} MB (PyPI: rapidocr-onnxruntime, opencv-python, shapely, pyclipper; onnxruntime shared)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8, help="pages in the set, split over the scan profiles")
    parser.add_argument("--dpi", type=int, default=200, help="resolution the scans are rendered at for OCR")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    parser.add_argument("--child", choices=list(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("--set-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.set_file, args.dpi)
        return 0

    print(f"{os.cpu_count()} cores; OCR at {args.dpi} dpi", flush=True)
    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        work = Path(tmp)
        entries = build_set(work, args.pages)
        set_file = work / "set.json"
        set_file.write_text(json.dumps(entries), encoding="utf-8")
        print(f"{len(entries)} scanned pages: " + ", ".join(str(e["name"]) for e in entries), flush=True)
        rows = []
        for engine in args.engines:
            if engine == "tesseract" and shutil.which("tesseract") is None:
                print("tesseract: not installed (apt-get install tesseract-ocr), skipped")
                continue
            if engine == "rapidocr" and importlib.util.find_spec("rapidocr_onnxruntime") is None:
                print(
                    "rapidocr: not installed (pip install 'rapidocr-onnxruntime==1.4.4';"
                    " not a project dependency), skipped"
                )
                continue
            done = subprocess.run(
                [sys.executable, __file__, "--child", engine, "--set-file", str(set_file), "--dpi", str(args.dpi)],
                capture_output=True,
                text=True,
                check=False,
            )
            lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
            pages = [line for line in lines if "page" in line]
            summary = next((line for line in lines if "summary" in line), None)
            if done.returncode or summary is None:
                print(f"{engine}: failed\n{done.stderr[-2000:]}")
                continue
            for page in pages:
                print(
                    f"  {engine:9} {page['page']:60} {page['seconds']:6.2f} s  CER {page['cer']:.3f}  "
                    f"WER {page['wer']:.3f}  recall {page['word_recall']:.3f}",
                    flush=True,
                )
            rows.append((engine, pages, summary))
    print()
    print(
        "| engine | pages | CER | WER | word recall | s/page (wall) | CPU s/page | model load s "
        "| peak RSS MB (Python side / tesseract) | install |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for engine, pages, summary in rows:
        n = len(pages)
        mean = {k: sum(p[k] for p in pages) / n for k in ("cer", "wer", "word_recall", "seconds", "cpu_seconds")}
        rss = f"{summary['peak_rss_mb']:.0f} / {summary['peak_child_rss_mb']:.0f}"
        print(
            f"| {engine} | {n} | {mean['cer']:.3f} | {mean['wer']:.3f} | {mean['word_recall']:.3f} "
            f"| {mean['seconds']:.2f} | {mean['cpu_seconds']:.2f} | {summary['warm_s']:.2f} | {rss} "
            f"| {install_size_mb(engine)} |"
        )
    for profile in PROFILES:
        for engine, pages, _ in rows:
            mine = [p for p in pages if p["profile"] == profile.name]
            if mine:
                cer = sum(p["cer"] for p in mine) / len(mine)
                recall = sum(p["word_recall"] for p in mine) / len(mine)
                print(f"{profile.name:22} {engine:9} CER {cer:.3f}  word recall {recall:.3f}  ({len(mine)} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
