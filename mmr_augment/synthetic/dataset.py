"""Paired phantom datasets: the batched :func:`generate` and the torch ``SyntheticCXR``.

Study ``i`` of dataset ``seed`` is a pure function of ``(seed, i)``: its anatomy, findings,
wording and style parameters come from per-study draws, so it is identical whatever ``n`` is,
whichever batch renders it, and in every domain (only the style differs between domains).

Speed (2 CPU threads, ``torch.set_num_threads(2)``): ``generate(2000, 128)`` takes a few
seconds; see the project's benchmark for current numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import Dataset

from ..errors import InputError
from ._draws import study_keys
from .anatomy import sample_anatomy
from .domains import Domain, apply_report, apply_scanner
from .findings import OBSERVATIONS, Findings, details, laterality, sample_findings
from .render import render
from .reports import write_reports

_PIXELS_PER_CHUNK = 2**22  # few large ops: robust when threads compete for the cores


@dataclass
class SyntheticBatch:
    """Studies rendered together.

    Attributes:
        images: ``(N, 1, H, W)`` float32 in ``[0, 1]``.
        reports: ``N`` report strings.
        labels: ``(N, len(OBSERVATIONS))`` float32 0/1, in :data:`OBSERVATIONS` order.
        study_ids: ``(N,)`` int64 study indices.
        findings: the exact per-study findings (sides, sizes, lobes, ...).
    """

    images: torch.Tensor
    reports: list[str]
    labels: torch.Tensor
    study_ids: torch.Tensor
    findings: Findings

    def laterality(self, row: int) -> dict[str, str]:
        """Side of each lateral observation of ``row`` ("right" / "left" / "bilateral" / "")."""
        return laterality(self.findings, row)

    def details(self, row: int) -> dict[str, Any]:
        """Sizes, lobes and devices of ``row``."""
        return details(self.findings, row)


def _check_size(size: Any) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or not 32 <= size <= 1024:
        raise InputError(f"size must be an int in [32, 1024] (designed for 64-512), got {size!r}")
    return size


def render_studies(indices: torch.Tensor, size: int, seed: int, domain: Domain | None = None
                   ) -> SyntheticBatch:
    """Render studies ``indices`` of dataset ``seed`` in one ``domain`` (resolved styles)."""
    size = _check_size(size)
    domain = (domain or Domain()).resolved()
    keys = study_keys(seed, indices)
    findings = sample_findings(keys)
    anatomy = sample_anatomy(keys)
    chunk = max(1, _PIXELS_PER_CHUNK // (size * size))
    images = torch.cat([render(_rows(anatomy, s, chunk), findings.take(slice(s, s + chunk)),
                               keys[s:s + chunk], size) for s in range(0, len(keys), chunk)])
    images = apply_scanner(domain.scanner, images, keys)
    reports = apply_report(domain.report, write_reports(findings, keys), keys)
    return SyntheticBatch(images, reports, findings.labels(), indices.to(torch.int64), findings)


def _rows(anatomy: Any, start: int, count: int) -> Any:
    return type(anatomy)(**{k: v[start:start + count] for k, v in vars(anatomy).items()})


def generate(n: int, size: int = 128, seed: int = 0, *, start: int = 0,
             domain: Any = None) -> SyntheticBatch:
    """Studies ``start .. start + n - 1`` of dataset ``seed``, rendered in batches.

    Args:
        n: number of studies.
        size: image side in pixels (64 to 512).
        seed: dataset seed.
        start: index of the first study.
        domain: ``None`` (canonical) or a ``(scanner_style, report_style)`` pair / ``Domain``.

    Example:
        >>> b = generate(4, 64, seed=1)
        >>> b.images.shape, b.labels.shape, len(b.reports)
        (torch.Size([4, 1, 64, 64]), torch.Size([4, 7]), 4)
        >>> torch.equal(generate(2, 64, seed=1, start=2).images, b.images[2:])
        True
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"n must be a positive int, got {n!r}")
    return render_studies(torch.arange(start, start + n), size, seed, Domain.of(domain))


class SyntheticCXR(Dataset):
    """A torch ``Dataset`` of paired phantom radiographs and reports.

    Item ``i`` is study ``i`` in domain ``assignment[i]`` (default ``i % len(domains)``), a dict:
    ``image`` ``(1, H, W)`` float32 in ``[0, 1]``, ``report`` str, ``labels`` (observation ->
    0/1), ``label_vector`` (float32, :data:`OBSERVATIONS` order), ``domain`` int, ``study_id``
    int, ``laterality`` (observation -> side) and ``details`` (sizes, lobes, devices).

    Args:
        n: number of studies.
        size: image side in pixels.
        domains: list of domains (``(scanner_style, report_style)`` pairs, ``Domain`` or
            dicts); ``None`` is one canonical domain.
        seed: dataset seed.
        assignment: optional domain index per item.

    Example:
        >>> ds = SyntheticCXR(4, size=64, domains=[None, (None, None)])
        >>> item = ds[1]
        >>> item["image"].shape, item["domain"], item["study_id"]
        (torch.Size([1, 64, 64]), 1, 1)
        >>> torch.equal(ds.render(1, 0)["image"], item["image"])
        True
    """

    def __init__(self, n: int, size: int = 128, domains: Sequence[Any] | None = None,
                 seed: int = 0, assignment: Sequence[int] | None = None) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise InputError(f"n must be a positive int, got {n!r}")
        self.n, self.size, self.seed = n, _check_size(size), int(seed)
        self.domains = [Domain.of(d).resolved() for d in (domains or [None])]
        if assignment is None:
            assignment = [i % len(self.domains) for i in range(n)]
        assignment = [int(d) for d in assignment]
        if len(assignment) != n or not all(0 <= d < len(self.domains) for d in assignment):
            raise InputError(f"assignment must give a domain index in [0, {len(self.domains)}) "
                             f"for each of the {n} items")
        self.assignment = assignment

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> dict[str, Any]:
        if not -self.n <= index < self.n:
            raise IndexError(f"index {index} out of range for {self.n} studies")
        index %= self.n
        return self.render(index, self.assignment[index])

    def render(self, index: int, domain: int) -> dict[str, Any]:
        """Study ``index`` rendered in domain ``domain`` (same anatomy and findings in every
        domain)."""
        if not 0 <= domain < len(self.domains):
            raise InputError(f"domain must be in [0, {len(self.domains)}), got {domain}")
        batch = render_studies(torch.tensor([index]), self.size, self.seed, self.domains[domain])
        vector = batch.labels[0]
        return {
            "image": batch.images[0], "report": batch.reports[0],
            "labels": {name: int(v) for name, v in zip(OBSERVATIONS, vector.tolist(),
                                                       strict=True)},
            "label_vector": vector, "domain": domain, "study_id": index,
            "laterality": batch.laterality(0), "details": batch.details(0),
        }
