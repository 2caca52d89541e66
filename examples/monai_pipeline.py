"""Drop a MultiModalPolicy into a MONAI pipeline: ``Compose`` + ``monai.data.Dataset`` +
a torch ``DataLoader`` with workers, on synthetic paired chest radiographs and reports.

Run: ``python examples/monai_pipeline.py --n 16 --size 128 --workers 2``
"""

from __future__ import annotations

import argparse

from monai.data import Dataset
from monai.transforms import Compose, ScaleIntensityd
from torch.utils.data import DataLoader

from mmr_augment import Cutout, GaussianNoise, MultiModalPolicy, OneOf, ScannerStyle
from mmr_augment.integrations.monai import MMRd
from mmr_augment.synthetic import SyntheticCXR
from mmr_augment.text import SentenceDeletion, Typo


def main(size: int = 128, n: int = 16, workers: int = 2, batch_size: int = 4) -> dict:
    """Run one epoch; return the last batch (a dict, as MONAI collates it)."""
    studies = SyntheticCXR(n, size=size, seed=0)
    data = [{k: v for k, v in studies[i].items() if k in ("image", "report", "study_id")}
            for i in range(n)]
    policy = MultiModalPolicy(
        image=OneOf([GaussianNoise(), Cutout(), ScannerStyle.preset("low_dose")]),
        text=OneOf([Typo(), SentenceDeletion()]),
        severity=(1, 5), drop={"image": 0.1, "text": 0.1}, patch_size=16)
    transform = Compose([
        ScaleIntensityd(keys="image"),
        # index_key: a study gets the same perturbation whatever worker loads it
        MMRd(policy, keys=["image", "report"], seed=0, index_key="study_id"),
    ])
    loader = DataLoader(Dataset(data, transform), batch_size=batch_size, num_workers=workers)
    for epoch in range(1):
        transform.transforms[-1].set_epoch(epoch)
        for batch in loader:
            meta = batch["mmr"]
            print(f"studies {batch['study_id'].tolist()}: modes {meta['mode'].tolist()}, "
                  f"severity {meta['severity'].tolist()}, "
                  f"text dropped {(~meta['text_present']).tolist()}")
    return batch


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    main(args.size, args.n, args.workers)
