"""Training data chosen by ``data.kind``: the built-in synthetic phantoms or a manifest.

A builder takes ``(DataSettings, ModelConfig)`` and returns a torch ``Dataset`` of study dicts
(``image`` (C, H, W) float in [0, 1], ``report`` str, optional ``labels`` / ``label_vector``,
``domain``, ``study_id``, ``view2_image``, ``view2_report``). Kinds live in :data:`DATA_KINDS`;
add one with :func:`register_data_kind`. ``manifest`` defers to
``mmr_train.data.build_dataset(settings, model_config)`` (the manifest reader's module).

Example:
    >>> from mmr_train.config import DataSettings, preset
    >>> ds = build_dataset(DataSettings(n=4, size=32, domains=[[None, None]] * 2),
    ...                    preset("tiny").model)
    >>> len(ds), ds[0]["image"].shape, torch.equal(ds[1]["view2_image"], ds[1]["image"])
    (4, torch.Size([1, 32, 32]), True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.utils.data import Dataset

from mmr_augment.errors import ConfigError

from .config import DataSettings, ModelConfig

Builder = Callable[[DataSettings, ModelConfig], Dataset]


class RenderedStudies(Dataset):
    """Studies held in memory as tensors (a pre-rendered synthetic set, or any small set).

    Args:
        images: ``(N, C, H, W)`` float in [0, 1].
        reports: ``N`` strings.
        labels: optional ``(N, K)`` float label vectors.
        domains: optional ``(N,)`` domain index per study.
        view2_images / view2_reports: optional second style view of each study.
    """

    def __init__(self, images: torch.Tensor, reports: list[str],
                 labels: torch.Tensor | None = None, domains: torch.Tensor | None = None,
                 view2_images: torch.Tensor | None = None,
                 view2_reports: list[str] | None = None) -> None:
        self.images, self.report_texts, self.labels = images, list(reports), labels
        self.domains = domains
        self.view2_images, self.view2_reports = view2_images, view2_reports

    def __len__(self) -> int:
        return len(self.report_texts)

    @property
    def reports(self) -> list[str]:
        """Every report text the set holds (both views): the tokenizer's corpus."""
        return self.report_texts + list(self.view2_reports or [])

    def __getitem__(self, index: int) -> dict[str, Any]:
        item: dict[str, Any] = {"image": self.images[index], "report": self.report_texts[index],
                                "study_id": int(index)}
        if self.labels is not None:
            item["label_vector"] = self.labels[index]
        if self.domains is not None:
            item["domain"] = int(self.domains[index])
        if self.view2_images is not None and self.view2_reports is not None:
            item["view2_image"] = self.view2_images[index]
            item["view2_report"] = self.view2_reports[index]
        return item


def synthetic_dataset(settings: DataSettings, model: ModelConfig) -> RenderedStudies:
    """``settings.n`` phantom studies, study ``i`` in domain ``i % D``; with ``D >= 2``
    domains each study also gets a second view in another domain, drawn from ``data.seed``."""
    from mmr_augment.synthetic import Domain, render_studies

    domains = [Domain.of(d) for d in (settings.domains or [None])]
    n, count = settings.n, len(domains)
    size = settings.size or model.image_size
    primary = torch.arange(n) % count
    view2 = None
    if count >= 2:
        g = torch.Generator().manual_seed(settings.seed)
        view2 = (primary + 1 + torch.randint(0, count - 1, (n,), generator=g)) % count
    images = torch.empty(n, 1, size, size)
    images2 = torch.empty_like(images) if view2 is not None else None
    reports, reports2 = [""] * n, [""] * n
    labels = torch.empty(0)
    for d, domain in enumerate(domains):
        want = (primary == d) | (view2 == d if view2 is not None else False)
        index = want.nonzero().flatten()
        if index.numel() == 0:
            continue
        batch = render_studies(index, size, settings.seed, domain.resolved())
        labels = labels if labels.numel() else torch.zeros(n, batch.labels.shape[1])
        labels[index] = batch.labels
        for row, i in enumerate(index.tolist()):
            if primary[i] == d:
                images[i], reports[i] = batch.images[row], batch.reports[row]
            if images2 is not None and view2[i] == d:
                images2[i], reports2[i] = batch.images[row], batch.reports[row]
    return RenderedStudies(images, reports, labels, primary, images2,
                           reports2 if images2 is not None else None)


def _manifest_dataset(settings: DataSettings, model: ModelConfig) -> Dataset:
    """The ``train`` split of the manifest at ``data.path`` (all rows if it has no splits),
    resized to the model's image size (``data.size`` overrides)."""
    from mmr_train.data import ManifestDataset, load_manifest

    if settings.path is None:
        raise ConfigError("data.kind 'manifest' needs data.path (a CSV / JSONL manifest)")
    manifest = load_manifest(settings.path)
    train = manifest.split("train")
    size = settings.size if settings.size is not None else model.image_size
    return ManifestDataset(train if len(train.rows) else manifest, size=int(size),
                           channels=model.channels, uncertain="zeros")


def _shard_dataset(settings: DataSettings, model: ModelConfig) -> Dataset:
    """WebDataset shards at ``data.path`` (:mod:`mmr_train.data.shards`)."""
    from mmr_train.data.shards import shard_dataset

    return shard_dataset(settings, model)


DATA_KINDS: dict[str, Builder] = {"synthetic": synthetic_dataset, "manifest": _manifest_dataset,
                                  "webdataset": _shard_dataset}


def register_data_kind(name: str, builder: Builder) -> None:
    """Make ``data.kind: name`` build its dataset with ``builder(settings, model_config)``."""
    DATA_KINDS[name] = builder


def build_dataset(settings: DataSettings, model: ModelConfig) -> Dataset:
    """The training dataset that ``settings.kind`` names."""
    if settings.kind not in DATA_KINDS:
        raise ConfigError(f"unknown data.kind {settings.kind!r}; choose one of "
                          f"{', '.join(DATA_KINDS)}")
    return DATA_KINDS[settings.kind](settings, model)
