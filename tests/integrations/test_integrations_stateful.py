"""PerturbedDataset under torchdata's StatefulDataLoader: mid-epoch resume, same items."""

import pytest
import torch

from mmr_augment import GaussianNoise
from mmr_augment.integrations.torch import PerturbedDataset


def test_stateful_loader_resumes_mid_epoch_with_the_same_perturbations():
    stateful = pytest.importorskip("torchdata.stateful_dataloader")
    data = [{"image": torch.full((1, 4, 4), i / 10), "report": f"r{i}"} for i in range(8)]

    def loader(epoch):
        ds = PerturbedDataset(data, GaussianNoise(std=0.1), keys=["image"], seed=3)
        ds.set_epoch(epoch)
        sampler = torch.utils.data.RandomSampler(data, generator=torch.Generator().manual_seed(0))
        return stateful.StatefulDataLoader(ds, batch_size=2, sampler=sampler, num_workers=2)

    first = loader(2)
    stream = iter(first)
    next(stream), next(stream)
    state = first.state_dict()
    rest = [b["image"] for b in stream]
    again = loader(0)                                   # a fresh process would start at 0
    again.load_state_dict(state)
    resumed = [b["image"] for b in again]
    assert len(rest) == 2 and all(torch.equal(a, b) for a, b in zip(rest, resumed, strict=True))
    assert again.dataset.state_dict() == {"epoch": 2}
