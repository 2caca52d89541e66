"""WebDataset shards: write a manifest as tar shards, train on them under ``torchrun``.

- :func:`write_shards` (``mmr-train shard MANIFEST --out DIR --shard-size N``): every sample as
  ``<key>.png`` (the image, fitted to ``size`` like :class:`ManifestDataset` does; 16-bit grey
  or 8-bit RGB), ``<key>.txt`` (the report) and ``<key>.json`` (``id``, ``labels`` with null
  where not mentioned, ``domain``), written by webdataset's ``ShardWriter`` as
  ``shard-000000.tar``, ...; ``shards.json`` beside them records the brace pattern.
- :class:`ShardedStudies` (``data.kind: webdataset``, ``data.path``: the pattern): an
  ``IterableDataset``. Each epoch the shard order is a permutation drawn from ``(data.seed,
  epoch)``, then ``wds.split_by_node`` gives every ``torchrun`` rank its own shards and
  ``wds.split_by_worker`` every DataLoader worker its own. Each sample carries
  ``perturb_seed = key_seed(data.seed, epoch, id)``: the trainer draws that sample's policy
  params from it, so its perturbation does not depend on shard order, workers or ranks.
- ``state_dict()`` / ``load_state_dict()`` in the per-worker form of torchdata's
  ``StatefulDataLoader`` (``{"epoch", "consumed": {worker: samples}}``); :class:`ShardStream`
  keeps the same state for the trainer's checkpoints, so a resumed run continues mid-epoch
  exactly where it stopped (same world size and ``data.num_workers``).

Example:
    >>> import tempfile
    >>> from mmr_augment.synthetic import write
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     pattern = write_shards(write(f"{tmp}/src", 5, 32), f"{tmp}/shards", 2, size=16)
    ...     items = list(ShardedStudies(pattern))
    >>> Path(pattern).name, len(items), items[0]["image"].shape, sorted(i["id"] for i in items)
    ('shard-{000000..000002}.tar', 5, torch.Size([1, 16, 16]), ['0', '1', '2', '3', '4'])
"""

from __future__ import annotations

import io
import itertools
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from mmr_augment.errors import ConfigError, InputError
from mmr_augment.keyed import key_seed

from ..batching import StudyBatch, collate_studies
from .dataset import ManifestDataset
from .manifest import load_manifest

INDEX_FILE = "shards.json"


def _webdataset() -> Any:
    try:
        import webdataset
    except ImportError:
        raise ConfigError("WebDataset shards need webdataset: pip install 'mmr[scale]'") from None
    return webdataset


def _png(image: torch.Tensor) -> bytes:
    bits = 16 if image.shape[0] == 1 else 8
    top = 2 ** bits - 1
    levels = (image.clamp(0, 1) * top).round().numpy().astype(np.uint16 if bits == 16
                                                               else np.uint8)
    picture = Image.fromarray(levels[0] if bits == 16 else levels.transpose(1, 2, 0))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _image(data: bytes) -> torch.Tensor:
    with Image.open(io.BytesIO(data)) as picture:
        array = np.asarray(picture)
    scale = 65535.0 if array.dtype == np.uint16 else 255.0
    array = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return torch.from_numpy(array.astype(np.float32) / scale)


def write_shards(manifest: str | Path, out: str | Path, shard_size: int, *, size: int = 256,
                 channels: int = 1) -> str:
    """Write ``manifest``'s samples as tar shards of ``shard_size`` samples into ``out``;
    returns the brace pattern of the shards (also in ``out/shards.json``)."""
    wds = _webdataset()
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1:
        raise ConfigError(f"shard size must be a positive int, got {shard_size!r}")
    data = load_manifest(manifest)
    studies = ManifestDataset(data, size=size, channels=channels)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    with wds.ShardWriter(str(folder / "shard-%06d.tar"), maxcount=shard_size,
                         verbose=0) as sink:
        for index in range(len(studies)):
            item = studies[index]
            labels = [None if v != v else int(v) for v in item["labels"].tolist()]
            sink.write({"__key__": f"{index:09d}", "png": _png(item["image"]),
                        "txt": item["report"].encode("utf-8"),
                        "json": json.dumps({"id": item["id"], "labels": labels,
                                            "domain": item["domain"]}).encode("utf-8")})
    count = -(-len(studies) // shard_size)
    pattern = str(folder / f"shard-{{000000..{count - 1:06d}}}.tar")
    (folder / INDEX_FILE).write_text(json.dumps({
        "pattern": pattern, "samples": len(studies), "shards": count, "size": size,
        "channels": channels, "observations": list(data.observations)}, indent=1),
        encoding="utf-8")
    return pattern


class ShardedStudies(IterableDataset):
    """Studies streamed from WebDataset shards (see the module docstring).

    Args:
        urls: a brace pattern (``shards/shard-{000000..000009}.tar``) or a list of paths.
        channels: 1 or 3 (images stored otherwise are converted; the batch collation
            resizes them to the model's size).
        seed: base seed of the shard order and of every sample's ``perturb_seed``.
        corpus_size: how many reports :attr:`reports` reads (the tokenizer's corpus).
    """

    def __init__(self, urls: str | list[str], channels: int = 1, seed: int = 0,
                 corpus_size: int = 5000) -> None:
        wds = _webdataset()
        self.urls = list(wds.shardlists.expand_urls(urls)) if isinstance(urls, str) \
            else list(urls)
        missing = [u for u in self.urls if not Path(u).is_file()]
        if not self.urls or missing:
            raise InputError(f"shards not found: {missing[:3] or urls!r}; write them with "
                             f"`mmr-train shard MANIFEST --out DIR` and pass its pattern")
        self.channels, self.seed, self.corpus_size = channels, seed, corpus_size
        self.epoch, self._skip, self._yielded = 0, {}, 0

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch`` (new shard order, new perturbation seeds)."""
        self.epoch, self._skip = int(epoch), {}

    def state_dict(self) -> dict[str, Any]:
        """``{"epoch", "consumed": {worker: samples yielded this epoch}}`` of this process."""
        worker = _worker()
        return {"epoch": self.epoch,
                "consumed": {worker: self._skip.get(worker, 0) + self._yielded}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue epoch ``state["epoch"]`` after the samples each worker had consumed."""
        self.epoch = int(state["epoch"])
        self._skip = {int(k): int(v) for k, v in state["consumed"].items()}

    @property
    def reports(self) -> list[str]:
        """Up to ``corpus_size`` reports, in stored order (the tokenizer's corpus)."""
        raw = itertools.islice(self._raw(self.urls), self.corpus_size)
        return [sample["txt"].decode("utf-8") for sample in raw]

    def _raw(self, urls: list[str]) -> Iterator[dict[str, Any]]:
        wds = _webdataset()
        return wds.tarfile_samples({"url": u} for u in urls)

    def _shard_order(self) -> list[str]:
        g = torch.Generator().manual_seed(key_seed(self.seed, "shards", self.epoch))
        return [self.urls[i] for i in torch.randperm(len(self.urls), generator=g).tolist()]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        # Not a generator function: the epoch and skip count are read when iteration starts.
        wds = _webdataset()
        worker, epoch = _worker(), self.epoch
        skip, self._yielded = self._skip.get(worker, 0), 0
        shards = wds.split_by_worker(wds.split_by_node({"url": u} for u in self._shard_order()))
        raw = itertools.islice(wds.tarfile_samples(shards), skip, None)
        return (self._study(sample, epoch, worker) for sample in raw)

    def _study(self, sample: dict[str, Any], epoch: int, worker: int) -> dict[str, Any]:
        meta = json.loads(sample["json"])
        image = _image(sample["png"])
        if image.shape[0] != self.channels:
            image = image.mean(0, keepdim=True) if self.channels == 1 else image.expand(3, -1, -1)
        labels = torch.tensor([float("nan") if v is None else max(float(v), 0.0)
                               for v in meta["labels"]])
        self._yielded += 1
        return {"image": image, "report": sample["txt"].decode("utf-8"), "labels": labels,
                "domain": int(meta["domain"]), "id": meta["id"], "worker": worker,
                "perturb_seed": key_seed(self.seed, epoch, meta["id"])}


def _worker() -> int:
    info = get_worker_info()
    return info.id if info is not None else 0


class ShardStream:
    """Endless micro-batches of ``batch_size`` studies from a :class:`ShardedStudies`.

    An epoch ends when this rank's shards are exhausted (its incomplete last batch is
    dropped). :meth:`state_dict` (epoch, batches and samples consumed per worker) is what the
    trainer checkpoints; :meth:`load_state_dict` continues from it.
    """

    def __init__(self, dataset: ShardedStudies, batch_size: int, image_size: int,
                 channels: int, num_workers: int = 0) -> None:
        self.dataset, self.batch_size = dataset, batch_size
        self.image_size, self.channels = image_size, channels
        # Its own generator: a new iterator must not advance the global RNG (exact resume).
        self.loader = DataLoader(dataset, batch_size=None, num_workers=num_workers,
                                 generator=torch.Generator().manual_seed(0))
        self.epoch, self.index, self.consumed = 0, 0, {}
        self._iter: Iterator[dict[str, Any]] | None = None

    def position(self) -> tuple[int, int]:
        """``(epoch, batches of that epoch already consumed)``."""
        return self.epoch, self.index

    def state_dict(self) -> dict[str, Any]:
        """Epoch, batch index, worker count and samples consumed per DataLoader worker."""
        return {"epoch": self.epoch, "index": self.index, "consumed": dict(self.consumed),
                "workers": self.loader.num_workers}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`; with another worker count the workers read other
        shards, so the epoch restarts from its beginning (with a warning)."""
        self.epoch, self.index = int(state["epoch"]), int(state["index"])
        self.consumed = {int(k): int(v) for k, v in state["consumed"].items()}
        self._iter = None
        if state.get("workers", self.loader.num_workers) != self.loader.num_workers:
            warnings.warn(f"the shard stream was saved with {state['workers']} DataLoader "
                          f"workers, this run has {self.loader.num_workers}: epoch "
                          f"{self.epoch} restarts from its beginning", stacklevel=2)
            self.index, self.consumed = 0, {}

    def seek(self, epoch: int, index: int) -> None:
        """Restart epoch ``epoch`` from its beginning (used when the world size changed)."""
        self.load_state_dict({"epoch": epoch, "index": 0, "consumed": {}})

    def next(self) -> StudyBatch:
        """The next micro-batch."""
        items: list[dict[str, Any]] = []
        while len(items) < self.batch_size:
            if self._iter is None:
                self.dataset.load_state_dict({"epoch": self.epoch, "consumed": self.consumed})
                self._iter = iter(self.loader)
                self.dataset.set_epoch(self.epoch)
            try:
                item = next(self._iter)
            except StopIteration:
                if self.index == 0:
                    raise InputError(
                        f"epoch {self.epoch} gave this rank fewer than train.batch_size "
                        f"{self.batch_size} studies; write smaller shards (--shard-size) so "
                        f"every rank and worker gets some, or lower the batch size") from None
                self.load_state_dict({"epoch": self.epoch + 1, "index": 0, "consumed": {}})
                items = []
                continue
            self.consumed[item["worker"]] = self.consumed.get(item["worker"], 0) + 1
            items.append(item)
        self.index += 1
        return collate_studies(items, self.image_size, self.channels)


def shard_dataset(settings: Any, model: Any) -> ShardedStudies:
    """``data.kind: webdataset``: the shards at ``data.path`` (a brace pattern)."""
    if settings.path is None:
        raise ConfigError("data.kind 'webdataset' needs data.path: the shard pattern that "
                          "`mmr-train shard` printed (e.g. shards/shard-{000000..000007}.tar)")
    return ShardedStudies(str(settings.path), channels=model.channels, seed=settings.seed)
