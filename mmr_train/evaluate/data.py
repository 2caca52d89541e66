"""``EvalSet``: the studies an evaluation embeds, held in memory (images, reports, labels).

Built from a manifest (real data or a synthetic set written to disk: the probe is fitted on
one manifest and scored on another) or from the synthetic generator directly. Labels follow
the "U-zeros" convention of CheXpert baselines: uncertain (``-1``) and not mentioned count as
negative. Only observations the manifest has a column for are kept.

Example:
    >>> ds = EvalSet.synthetic(4, 64, domains=[("cr", None)], seed=0)
    >>> ds.images.shape, ds.labels.shape, ds.domain_names
    (torch.Size([4, 1, 64, 64]), torch.Size([4, 7]), ['cr'])
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mmr_augment.errors import InputError


@dataclass
class EvalSet:
    """Studies to embed.

    Attributes:
        images: ``(N, C, S, S)`` float32 in ``[0, 1]`` (S = the model's image size).
        reports: ``N`` report texts.
        labels: ``(N, K)`` float 0/1.
        observations: the ``K`` label names.
        domains: ``(N,)`` int64 domain index.
        domain_names: name of each domain index.
    """

    images: torch.Tensor
    reports: list[str]
    labels: torch.Tensor
    observations: tuple[str, ...]
    domains: torch.Tensor
    domain_names: list[str]

    def __len__(self) -> int:
        return len(self.reports)

    def subset(self, index: torch.Tensor) -> EvalSet:
        """Rows ``index`` (same observations and domain names)."""
        rows = index.tolist()
        return EvalSet(self.images[index], [self.reports[i] for i in rows], self.labels[index],
                       self.observations, self.domains[index], list(self.domain_names))

    def by_domain(self) -> dict[str, EvalSet]:
        """One subset per domain present, keyed by domain name."""
        return {self.domain_names[d]: self.subset((self.domains == d).nonzero().flatten())
                for d in sorted(set(self.domains.tolist()))}

    @classmethod
    def concat(cls, parts: Sequence[EvalSet], names: Sequence[str]) -> EvalSet:
        """Join sets that share observations; part ``i`` becomes domain ``names[i]``."""
        if len({p.observations for p in parts}) != 1:
            raise InputError("sets with different observation columns cannot be joined")
        domains = torch.cat([torch.full((len(p),), i, dtype=torch.int64)
                             for i, p in enumerate(parts)])
        return cls(torch.cat([p.images for p in parts]), [r for p in parts for r in p.reports],
                   torch.cat([p.labels for p in parts]), parts[0].observations, domains,
                   list(names))

    @classmethod
    def synthetic(cls, n: int, size: int, domains: Sequence[Any], seed: int = 0,
                  start: int = 0) -> EvalSet:
        """Studies ``start .. start + n - 1`` of synthetic dataset ``seed``, study ``i`` in
        domain ``i % len(domains)`` (``(scanner, report)`` preset pairs)."""
        from mmr_augment.synthetic import OBSERVATIONS, Domain, render_studies

        index = torch.arange(start, start + n)
        images = torch.empty(n, 1, size, size)
        reports, labels = [""] * n, torch.zeros(n, len(OBSERVATIONS))
        assign = index % len(domains)
        for d, domain in enumerate(domains):
            rows = (assign == d).nonzero().flatten()
            if len(rows):
                batch = render_studies(index[rows], size, seed, Domain.of(domain).resolved())
                images[rows], labels[rows] = batch.images, batch.labels
                for r, text in zip(rows.tolist(), batch.reports, strict=True):
                    reports[r] = text
        return cls(images, reports, labels, tuple(OBSERVATIONS), assign,
                   [domain_name(d) for d in domains])

    @classmethod
    def from_manifest(cls, path: str | Path, size: int, channels: int = 1,
                      split: str | None = None) -> EvalSet:
        """Every row of a CSV / JSONL manifest (or one ``split``), images fitted to ``size``."""
        from mmr_train.data import ManifestDataset, load_manifest

        manifest = load_manifest(path)
        if split is not None:
            manifest = manifest.split(split)
        if not len(manifest):
            raise InputError(f"{path}: no rows{f' in split {split!r}' if split else ''}")
        if not manifest.label_columns:
            raise InputError(f"{path}: no label columns; the probe needs labels such as "
                             f"'Pleural Effusion' (0/1) in the manifest")
        keep = [manifest.observations.index(c) for c in manifest.label_columns]
        data = ManifestDataset(manifest, size=size, channels=channels, uncertain="zeros")
        items = [data[i] for i in range(len(data))]
        labels = torch.stack([it["labels"][keep] for it in items]).nan_to_num(0.0)
        names = {i: k for k, i in manifest.domains.items()}
        domains = torch.tensor([it["domain"] for it in items], dtype=torch.int64)
        return cls(torch.stack([it["image"] for it in items]), [it["report"] for it in items],
                   labels, tuple(manifest.label_columns), domains,
                   [names.get(d, str(d)) for d in range(int(domains.max()) + 1)])

    def write(self, folder: str | Path) -> Path:
        """Write 16-bit PNGs and a ``manifest.csv`` (domain names in the ``domain`` column)
        that :meth:`from_manifest` and ``mmr-train eval`` read back; returns the manifest."""
        from mmr_augment.io import write_png

        out = Path(folder)
        (out / "images").mkdir(parents=True, exist_ok=True)
        rows = []
        for i in range(len(self)):
            name = f"images/{i:06d}.png"
            write_png(out / name, self.images[i].clamp(0, 1), bits=16)
            rows.append({"id": i, "image": name, "report": self.reports[i],
                         "domain": self.domain_names[int(self.domains[i])],
                         **{o: int(v) for o, v in zip(self.observations,
                                                      self.labels[i].tolist(), strict=True)}})
        manifest = out / "manifest.csv"
        with open(manifest, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return manifest


def domain_name(domain: Any) -> str:
    """``"scanner+report"`` name of a domain given as a preset pair (``None`` parts omitted).

    Example:
        >>> domain_name(("cr", "terse")), domain_name((None, None))
        ('cr+terse', 'canonical')
    """
    if isinstance(domain, (list, tuple)):
        parts = [str(p) for p in domain if p is not None]
        return "+".join(parts) if parts else "canonical"
    return "canonical" if domain is None else str(domain)
