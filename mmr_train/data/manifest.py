"""Manifests: one row per image-report pair, read from CSV or JSONL and validated.

Format (CSV with a header row, or JSON Lines with one object per line; either may be ``.gz``):

- ``id`` (required): unique sample id (text; JSONL numbers are turned into text).
- ``image`` (required): image path relative to the data root (or absolute, inside it). DICOM,
  PNG and JPEG are read with :func:`mmr_augment.io.read_image`.
- ``report`` (text) and/or ``report_path`` (a UTF-8 ``.txt`` file inside the root); at least
  one of the two columns, and every row needs a non-empty report from one of them.
- label columns (optional): any of the ``observations`` (by default the 14 CheXpert names,
  :data:`mmr_augment.text.OBSERVATIONS`) with ``1`` positive, ``0`` negative, ``-1``
  uncertain, empty (or JSON ``null``) not mentioned; ``1.0`` / ``0.0`` / ``-1.0`` are accepted.
- ``domain`` (optional): a name or an int. If every value is a non-negative int it is used
  as-is; otherwise names are numbered in order of first appearance (:attr:`Manifest.domains`).
- ``split`` (optional): ``train`` / ``val`` / ``test`` (``validation`` / ``validate`` -> val).

The data root defaults to the manifest's folder. Paths may not leave it: ``..``, absolute
paths elsewhere and symlinks that point outside are refused. Other columns are ignored with one
warning, except :data:`METADATA_COLUMNS` (written by mmr's own writers), ignored silently.
Errors name the manifest and the row: for CSV the data record counted from 1 after the header,
for JSONL the line number. Reading streams the file with O(1) work per row.

Example:
    >>> import json, tempfile, torch
    >>> from mmr_augment.io import write_png
    >>> line = {"id": "a", "image": "a.png", "report": "No effusion.", "Pleural Effusion": 0}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_png(f"{tmp}/a.png", torch.zeros(1, 4, 4))
    ...     _ = Path(tmp, "m.jsonl").write_text(json.dumps(line) + "\\n")
    ...     m = load_manifest(f"{tmp}/m.jsonl")
    >>> len(m), m[0].id, m[0].label_values()[10], m.label_columns
    (1, 'a', 0.0, ('Pleural Effusion',))
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mmr_augment.errors import InputError
from mmr_augment.text import OBSERVATIONS

from ._fields import split_name
from ._records import csv_records, jsonl_records, manifest_format, open_text
from ._rows import ManifestRow, RowReader

#: Columns written by mmr's own writers (the synthetic writer, the converters) that training does
#: not use; they are ignored without a warning.
METADATA_COLUMNS = frozenset({
    "effusion_side", "pneumothorax_side", "lesion_side", "consolidation_side", "effusion_size",
    "pneumothorax_size", "lesion_cm", "lesion_lobe", "consolidation_lobe", "ctr", "devices",
    "pixel_spacing_cm", "subject_id", "study_id", "view",
})
__all__ = ["METADATA_COLUMNS", "Manifest", "ManifestRow", "load_manifest"]


@dataclass
class Manifest(Sequence):
    """A validated manifest: a sequence of :class:`ManifestRow` plus what they refer to.

    Attributes:
        rows: the samples, in file order.
        root: the resolved data root.
        observations: label order of :attr:`ManifestRow.labels`.
        label_columns: the observations the file actually has columns for.
        domains: domain key -> index (empty when the file has no domain column: all 0).
        source: the manifest path, for messages.
    """

    rows: list[ManifestRow]
    root: Path
    observations: tuple[str, ...] = OBSERVATIONS
    label_columns: tuple[str, ...] = ()
    domains: dict[str, int] = field(default_factory=dict)
    source: str = "manifest"

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> ManifestRow:  # type: ignore[override]
        return self.rows[index]

    def __iter__(self) -> Iterator[ManifestRow]:
        return iter(self.rows)

    @property
    def num_domains(self) -> int:
        """Number of domain indices in use (at least 1)."""
        return max(self.domains.values(), default=0) + 1

    def where(self, row: ManifestRow) -> str:
        """``"<source> row N (id 'x')"``, the prefix of every message about ``row``."""
        return f"{self.source} row {row.row} (id {row.id!r})"

    def split(self, name: str) -> Manifest:
        """The rows of one split (``train`` / ``val`` / ``test``), sharing domains and root."""
        wanted = split_name(name, f"{self.source}: Manifest.split")
        rows = [r for r in self.rows if r.split == wanted]
        return Manifest(rows, self.root, self.observations, self.label_columns,
                        dict(self.domains), f"{self.source}[{wanted}]")


def load_manifest(path: str | Path, root: str | Path | None = None, *,
                  observations: Sequence[str] = OBSERVATIONS, check_files: bool = True,
                  drop_empty: bool = False) -> Manifest:
    """Read and validate a CSV / JSONL manifest (format in the module docstring).

    Args:
        path: the manifest file (``.csv``, ``.jsonl``, optionally ``.gz``).
        root: data root the paths are relative to; default: the manifest's folder.
        observations: label columns and their order in :attr:`ManifestRow.labels`.
        check_files: resolve every image / report file (symlinks included) and check that it
            exists and is readable, naming the first bad row. ``False`` only checks paths
            lexically; :class:`~mmr_train.data.ManifestDataset` checks again on read.
        drop_empty: drop rows with an empty report (one warning) instead of raising.

    Returns:
        The :class:`Manifest`.

    Raises:
        InputError: naming the row for a bad cell, an empty report, a path outside the root, a
            missing or unreadable file; listing them for duplicate ids.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(f"manifest {file} not found; check the path")
    base = Path(root) if root is not None else file.parent
    if not base.is_dir():
        raise InputError(f"data root {base} is not a folder; pass root= the folder the image "
                         f"paths are relative to")
    fmt = manifest_format(file)
    reader = RowReader(str(file), base.resolve(), tuple(observations), check_files, drop_empty,
                       per_row_columns=fmt == "jsonl")
    with open_text(file) as stream:
        if fmt == "csv":
            header, records = csv_records(stream, str(file))
            reader.check_columns(header, METADATA_COLUMNS, None)
        else:
            records = jsonl_records(stream, str(file))
        for number, record in records:
            reader.add(number, record, METADATA_COLUMNS)
    return reader.finish(Manifest)

