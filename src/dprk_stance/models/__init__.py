"""Stance models behind one interface: fit, predict_proba, save, load.

Evaluate, label and compare only ever see :class:`StanceModel`, so any model trained by the
pipeline can be used for batch labelling (``dprk-stance label --model models/<name>``).
"""

from dprk_stance.models.base import MODEL_FILE, StanceModel, build_model, load_model

__all__ = ["MODEL_FILE", "StanceModel", "build_model", "load_model"]
