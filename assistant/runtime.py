"""Process-wide settings for offline, quiet runs; called by the command-line and app entry points."""

from __future__ import annotations

import logging
import os
import warnings

OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "DO_NOT_TRACK": "1",
}


def go_offline() -> None:
    """No outbound calls, no telemetry, no model-download progress noise."""
    for key, value in OFFLINE.items():
        os.environ.setdefault(key, value)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    logging.getLogger("chromadb.telemetry").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
