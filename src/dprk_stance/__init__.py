"""dprk-stance: reproducible stance measurement for translated DPRK economic-policy texts."""

import os as _os

# Offline by default: weights come from disk (the bundled MiniLM or a local path). This must
# happen before transformers is imported anywhere; set HF_HUB_OFFLINE=0 to allow hub ids.
_os.environ.setdefault("HF_HUB_OFFLINE", "1")
_os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
_os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
_os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
_os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from dprk_stance.stances import ID2LABEL, LABEL2ID, LABELS, NO_STANCE, STANCES

__version__ = "0.2.0"
__all__ = ["ID2LABEL", "LABEL2ID", "LABELS", "NO_STANCE", "STANCES", "__version__"]
