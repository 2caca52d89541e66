"""Missing-modality evaluation: the both-modality probe scored with a modality absent.

The probe is fitted once, on fused embeddings with both modalities present (as a deployed
model would be). At test time the report is absent (``image_only``), the image is absent
(``text_only``) or both are there (``both``); the fused embedding then rests on the model's
learned "missing" token for the absent side. Robust-MMR's modality-resilience term trains for
exactly this; the baseline never sees a dropped modality.

Example:
    >>> from mmr_train.config import preset
    >>> from mmr_train.model import RobustMMR
    >>> from mmr_train.model.toy import toy_tokenizer
    >>> from .data import EvalSet
    >>> data = EvalSet.synthetic(8, 64, domains=[None], seed=0)
    >>> enc = FrozenEncoder(RobustMMR(preset("tiny")), toy_tokenizer())
    >>> probe = LinearProbe.fit(enc.embed(data.images, data.reports)["fused"], data.labels)
    >>> sorted(missing_modality(enc, probe, data))
    ['both', 'image_only', 'text_only']
"""

from __future__ import annotations

from typing import Any

from .data import EvalSet
from .encoder import FrozenEncoder
from .probe import LinearProbe, probe_metrics

CONDITIONS = {"both": (True, True), "image_only": (True, False), "text_only": (False, True)}


def missing_modality(encoder: FrozenEncoder, probe: LinearProbe, data: EvalSet
                     ) -> dict[str, dict[str, Any]]:
    """Macro accuracy and AUC of ``probe`` per condition of :data:`CONDITIONS`."""
    out = {}
    for name, (image, text) in CONDITIONS.items():
        emb = encoder.embed(data.images, data.reports, image_present=image, text_present=text)
        out[name] = probe_metrics(probe.predict_proba(emb["fused"]), data.labels,
                                  data.observations)["macro"]
    return out
