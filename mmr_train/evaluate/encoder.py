"""``FrozenEncoder``: a trained model and its tokenizer, embedding studies in eval mode.

Every evaluation reads embeddings through :meth:`FrozenEncoder.embed`, which returns the
five pooled embeddings of :class:`mmr_train.model.Embeddings` for a whole set (batched,
``torch.no_grad``). A missing modality is given to the model as absent (its learned "missing"
embedding): the image is replaced by zeros, the report by an empty string, so nothing of the
absent input can leak.

Example:
    >>> from mmr_train.config import preset
    >>> from mmr_train.model import RobustMMR
    >>> from mmr_train.model.toy import REPORTS, toy_tokenizer
    >>> enc = FrozenEncoder(RobustMMR(preset("tiny")), toy_tokenizer())
    >>> out = enc.embed(torch.rand(4, 1, 64, 64), list(REPORTS), text_present=False)
    >>> out["fused"].shape, out["image_contrast"].shape
    (torch.Size([4, 128]), torch.Size([4, 64]))
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import torch

from mmr_augment.errors import InputError

from ..model import RobustMMR
from ..tokenizer import ReportTokenizer, TokenBatch

EMBEDDINGS = ("fused", "image", "text", "image_contrast", "text_contrast")
#: Report chunks whose text-encoder output a :class:`FrozenEncoder` keeps.
TEXT_CACHE_CHUNKS = 8


class FrozenEncoder:
    """A model in eval mode plus its tokenizer.

    The model is read as frozen: the text encoder's output for a chunk of reports is kept
    (the :data:`TEXT_CACHE_CHUNKS` chunks used last) and reused when the same reports come again
    with other images, as in a corruption suite; change the weights, make a new encoder.

    Args:
        model: a trained :class:`RobustMMR`.
        tokenizer: the tokenizer it was trained with.
        device: where to run (default: the model's device).
        batch_size: studies per forward pass.
    """

    def __init__(self, model: RobustMMR, tokenizer: ReportTokenizer,
                 device: str | torch.device | None = None, batch_size: int = 128) -> None:
        self.device = torch.device(device) if device else next(model.parameters()).device
        self.model = model.to(self.device).eval()
        self.tokenizer, self.batch_size = tokenizer, batch_size
        # text-encoder tokens of recent report chunks: a corruption suite embeds the same
        # reports with dozens of corrupted images
        self._encoded_text = functools.lru_cache(maxsize=TEXT_CACHE_CHUNKS)(self._encode_text)
        self.image_size = model.config.model.image_size
        self.max_length = model.config.model.max_text_length

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str | torch.device = "cpu",
                        batch_size: int = 128) -> FrozenEncoder:
        """Load a ``mmr-train fit`` checkpoint file (or its run / checkpoints folder: the
        latest checkpoint there) and the ``tokenizer.json`` saved beside it."""
        model, tokenizer = load_trained(path, device)
        return cls(model, tokenizer, device, batch_size)

    @torch.no_grad()
    def embed(self, images: torch.Tensor, reports: Sequence[str], image_present: bool = True,
              text_present: bool = True) -> dict[str, torch.Tensor]:
        """Embeddings (CPU float32) of ``N`` studies, each ``(N, dim)``, keyed by
        :data:`EMBEDDINGS`; ``image_present`` / ``text_present`` drop a modality for all."""
        if len(images) != len(reports):
            raise InputError(f"{len(images)} images but {len(reports)} reports")
        if images.shape[-1] != self.image_size or images.shape[-2] != self.image_size:
            raise InputError(f"images are {tuple(images.shape[-2:])}, the model takes "
                             f"{self.image_size} x {self.image_size}; resize them first "
                             f"(EvalSet.from_manifest does)")
        parts: dict[str, list[torch.Tensor]] = {k: [] for k in EMBEDDINGS}
        for s in range(0, len(reports), self.batch_size):
            chunk = images[s:s + self.batch_size]
            texts = list(reports[s:s + self.batch_size])
            n = len(texts)
            if not image_present:
                chunk = torch.zeros_like(chunk)
            if not text_present:
                texts = [""] * n
            tokens, text_tokens = self._encoded_text(tuple(texts), text_present)
            out = self.model.embed(chunk.to(self.device), tokens.input_ids,
                                   tokens.attention_mask,
                                   torch.full((n,), image_present, device=self.device),
                                   torch.full((n,), text_present, device=self.device),
                                   text_tokens)
            for k in EMBEDDINGS:
                parts[k].append(getattr(out, k).float().cpu())
        return {k: torch.cat(v) for k, v in parts.items()}

    def _encode_text(self, texts: tuple[str, ...], present: bool
                     ) -> tuple[TokenBatch, torch.Tensor]:
        tokens = self.tokenizer.encode_batch(texts, self.max_length).to(self.device)
        return tokens, self.model.encode_text(tokens.input_ids, tokens.attention_mask,
                                              torch.full((len(texts),), present,
                                                         device=self.device))


def checkpoint_file(path: str | Path) -> Path:
    """The checkpoint ``path`` names: a ``.pt`` file, or the latest one in a run folder or
    its ``checkpoints/`` folder."""
    from ..checkpoint import CheckpointManager

    path = Path(path)
    if path.is_file():
        return path
    for folder in (path / "checkpoints", path):
        latest = CheckpointManager(folder).latest() if folder.is_dir() else None
        if latest is not None:
            return latest
    raise InputError(f"no checkpoint at {path}; pass a step_*.pt file or a run folder of "
                     f"`mmr-train fit` (with checkpoints/ inside)")


def load_trained(path: str | Path, device: str | torch.device = "cpu"
                 ) -> tuple[RobustMMR, ReportTokenizer]:
    """The model (weights and config) and tokenizer of a ``mmr-train fit`` checkpoint."""
    from ..checkpoint import load_checkpoint
    from ..config import fit_config_from_dict

    file = checkpoint_file(path)
    state = load_checkpoint(file, map_location=device)
    model = RobustMMR(fit_config_from_dict(state["config"]))
    model.load_state_dict(state["model"])
    return model.to(device).eval(), ReportTokenizer.load(file.parent)
