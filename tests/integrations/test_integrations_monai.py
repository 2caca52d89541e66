"""MMRd inside monai.transforms.Compose, monai.data.Dataset and a torch DataLoader."""

import pytest
import torch

pytest.importorskip("monai", reason="needs the monai extra: pip install 'mmr[monai]'")

from monai.data import Dataset, MetaTensor
from monai.transforms import Compose, Lambdad
from torch.utils.data import DataLoader

import mmr_augment as ma
from mmr_augment.integrations.monai import MMRd
from mmr_augment.text import Typo

REPORT = "FINDINGS: Mild cardiomegaly. Small left pleural effusion. No pneumothorax."


def data(n=8, size=16):
    base = torch.linspace(0.2, 0.8, size * size).view(1, size, size)
    return [{"image": base.clone(), "report": REPORT, "id": i} for i in range(n)]


def images(transform, workers, **kw):
    loader = DataLoader(Dataset(data(), transform), batch_size=2, num_workers=workers, **kw)
    return torch.cat([b["image"] for b in loader])


def noise(**kw):
    return Compose([Lambdad("image", lambda x: x * 1.0), MMRd(ma.GaussianNoise(), "image", **kw)])


def test_two_workers_reproducible_and_distinct_per_item():
    a, b = images(noise(seed=0), 2), images(noise(seed=0), 2)
    assert torch.equal(a, b)
    assert len({round(float(x.sum()), 3) for x in a}) == len(a)  # every item its own draw
    assert not torch.equal(a, images(noise(seed=1), 2))


def test_index_key_makes_items_independent_of_worker_count_and_order():
    t = noise(seed=0, index_key="id")
    zero = images(t, 0)
    assert torch.equal(zero, images(t, 2))
    shuffled = DataLoader(Dataset(data(), t), batch_size=3, num_workers=2, shuffle=True,
                          generator=torch.Generator().manual_seed(1))
    for b in shuffled:
        for k, i in enumerate(b["id"].tolist()):
            assert torch.equal(b["image"][k], zero[i])
    t.transforms[1].set_epoch(1)
    assert not torch.equal(images(t, 0), zero)


def test_without_seed_monai_set_random_state_through_compose_reseeds():
    a, b, c = noise(), noise(), noise()
    a.set_random_state(seed=3), b.set_random_state(seed=3), c.set_random_state(seed=4)
    assert a.transforms[1].seed == b.transforms[1].seed != c.transforms[1].seed
    assert torch.equal(images(a, 0), images(b, 0))
    assert not torch.equal(images(a, 0), images(c, 0))


def test_an_explicit_seed_is_pinned():
    a, b = noise(seed=5), noise(seed=5)
    b.set_random_state(seed=9)
    assert a.transforms[1].seed == b.transforms[1].seed == 5
    assert torch.equal(images(a, 0), images(b, 0))


def test_policy_text_op_and_styles_in_one_pipeline():
    policy = ma.MultiModalPolicy(image=ma.ScannerStyle.preset("cr"), text=Typo(rate=0.5),
                                 modes={"both": 1}, patch_size=8)
    t = Compose([MMRd(policy, keys=["image", "report"], seed=0, index_key="id"),
                 MMRd(Typo(rate=0.5), keys="report", seed=1, index_key="id"),
                 MMRd(ma.ReportStyle.preset("dictated_narrative"), "report", seed=2)])
    loader = DataLoader(Dataset(data(4), t), batch_size=4, num_workers=2)
    batch = next(iter(loader))
    meta = batch["mmr"]
    assert meta["mode"].tolist() == [3, 3, 3, 3] and meta["clean_report"] == [REPORT] * 4
    assert not torch.equal(batch["image"], meta["clean_image"])
    assert any(r != REPORT for r in batch["report"]) and meta["damage"].shape == (4, 2, 2)


def test_metatensor_keeps_its_metadata():
    x = MetaTensor(torch.full((1, 8, 8), 0.5), meta={"filename_or_obj": "a.dcm"})
    out = MMRd(ma.GaussianNoise(std=0.1), "image", seed=0)({"image": x})["image"]
    assert isinstance(out, MetaTensor) and out.meta["filename_or_obj"] == "a.dcm"
    assert not torch.equal(out.as_tensor(), x.as_tensor())


def test_clear_errors():
    t = MMRd(ma.GaussianNoise(), keys="report", seed=0)
    with pytest.raises(ma.ConfigError, match="image op"):
        t({"report": REPORT})
    with pytest.raises(ma.ConfigError, match="Perturbation"):
        MMRd(lambda x: x, keys="image")
    with pytest.raises(ma.InputError, match="index key"):
        MMRd(ma.GaussianNoise(), "image", index_key="id")({"image": torch.zeros(1, 4, 4)})
