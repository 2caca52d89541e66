"""PyTorch adapters: PolicyCollate and PerturbedDataset seeding, nn.Sequential, GPU step."""

import pytest
import torch
from torch.utils.data import DataLoader

pytest.importorskip("spacy", reason="needs the text extra: pip install 'mmr[text]'")

import mmr_augment as ma
from mmr_augment.integrations import (
    CollatedBatch,
    PerturbedDataset,
    PolicyCollate,
    perturb_on_device,
    step_generator,
)
from mmr_augment.text import Typo

REPORTS = ["FINDINGS: Mild cardiomegaly. Small left pleural effusion. No pneumothorax.",
           "FINDINGS: The lungs are clear. No pleural effusion. Heart size is normal."]


def items(n=8, size=16):
    base = torch.linspace(0.2, 0.8, size * size).view(1, size, size)
    return [{"image": base.clone(), "report": REPORTS[i % 2], "label": i % 3, "id": i}
            for i in range(n)]


def policy(**kw):
    return ma.MultiModalPolicy(image=ma.Sequential([ma.GaussianNoise(), ma.Cutout()]),
                               text=Typo(rate=0.3), patch_size=8, **kw)


def run(loader, epochs=(0,)):
    out = []
    for epoch in epochs:
        for obj in (loader.collate_fn, loader.dataset):
            if hasattr(obj, "set_epoch"):
                obj.set_epoch(epoch)
        for b in loader:
            out.append((b.images, b.texts, b.mode) if isinstance(b, CollatedBatch) else
                       (b["image"], b["report"]))
    return out


def same(a, b):
    return len(a) == len(b) and all(
        all(torch.equal(x, y) if isinstance(x, torch.Tensor) else x == y for x, y in zip(p, q))
        for p, q in zip(a, b))


def collate_loader(workers, seed=0, persistent=False):
    return DataLoader(items(), batch_size=2, num_workers=workers, persistent_workers=persistent,
                      collate_fn=PolicyCollate(policy(), seed=seed))


def test_collate_same_seed_same_batches_for_0_and_2_workers():
    zero = [run(collate_loader(0)) for _ in range(2)]
    two = [run(collate_loader(2)) for _ in range(2)]
    assert same(zero[0], zero[1]) and same(two[0], two[1])
    assert same(zero[0], two[0])  # batch j gets key (seed, epoch, j) whichever worker runs it
    assert not same(zero[0], run(collate_loader(0, seed=1)))


def test_collate_batches_differ_within_and_across_epochs():
    a, b = run(collate_loader(0), epochs=(0, 1)), run(collate_loader(0), epochs=(0, 1))
    assert same(a, b)
    first, second = a[:4], a[4:]
    assert not torch.equal(first[0][0], first[1][0])  # same inputs, other batch, other noise
    assert not same(first, second)


def test_set_epoch_reaches_persistent_workers():
    loader = collate_loader(2, persistent=True)
    got = run(loader, epochs=(0, 1))
    assert same(got, run(collate_loader(0), epochs=(0, 1)))


def test_collate_returns_a_perturbed_batch_with_extras():
    batch = PolicyCollate(policy(), seed=3)(items(4))
    assert isinstance(batch, ma.PerturbedBatch)
    assert batch.extras["label"].tolist() == [0, 1, 2, 0] and batch.images.shape == (4, 1, 16, 16)
    replayed = ma.MultiModalPolicy.replay(batch.log, batch.clean_images, batch.clean_texts)
    assert torch.equal(replayed.images, batch.images) and replayed.texts == batch.texts


def test_collate_leaves_the_global_rng_alone_and_checks_input():
    collate = PolicyCollate(policy(), seed=0)
    state = torch.random.get_rng_state()
    collate(items(4))
    assert torch.equal(torch.random.get_rng_state(), state)
    with pytest.raises(ma.InputError, match="report_key"):
        collate([{"image": torch.zeros(1, 4, 4)}])
    with pytest.raises(ma.ConfigError, match="MultiModalPolicy"):
        PolicyCollate(ma.GaussianNoise())


def test_dataset_item_depends_on_index_not_on_workers_or_order():
    ds = PerturbedDataset(items(), policy(modes={"both": 1}), keys=["image", "report"], seed=0)
    plain = {int(b["id"][k]): (b["image"][k], b["report"][k])
             for b in DataLoader(ds, batch_size=3) for k in range(len(b["id"]))}
    loader = DataLoader(ds, batch_size=2, num_workers=2, shuffle=True,
                        generator=torch.Generator().manual_seed(5))
    for b in loader:
        for k, i in enumerate(b["id"].tolist()):
            assert torch.equal(b["image"][k], plain[i][0]) and b["report"][k] == plain[i][1]
    assert len({round(float(v[0].sum()), 4) for v in plain.values()}) == len(plain)
    meta = next(iter(DataLoader(ds, batch_size=4)))["mmr"]
    assert meta["mode"].shape == (4,) and meta["clean_image"].shape == (4, 1, 16, 16)
    ds.set_epoch(1)
    assert not torch.equal(ds[0]["image"], plain[0][0]) or ds[0]["report"] != plain[0][1]


def test_dataset_text_and_image_ops_touch_only_their_keys():
    data = items(2)
    out = PerturbedDataset(data, Typo(rate=1.0), keys="report", seed=0)[0]
    assert torch.equal(out["image"], data[0]["image"]) and out["report"] != data[0]["report"]
    out = PerturbedDataset(data, ma.GaussianNoise(), keys="image", seed=0)[1]
    assert out["report"] == data[1]["report"] and not torch.equal(out["image"], data[1]["image"])
    with pytest.raises(ma.ConfigError, match="image op"):
        PerturbedDataset(data, ma.GaussianNoise(), keys=["image", "report"])[0]


def test_image_ops_inside_nn_sequential_use_their_own_generator():
    x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))

    def model():
        return torch.nn.Sequential(ma.GaussianNoise(std=0.1), ma.GaussianBlur(),
                                   torch.nn.Flatten(), torch.nn.Linear(256, 2))
    torch.manual_seed(0)
    m = model()
    state = torch.random.get_rng_state()
    y1, y2 = m[:2](x), m[:2](x)
    assert torch.equal(torch.random.get_rng_state(), state)  # op-owned generators only
    assert not torch.equal(y1, y2)  # the op's generator advances between calls
    torch.manual_seed(0)
    assert torch.equal(model()[:2](x), y1)  # same initial seed, fresh ops: same stream
    assert m(x).shape == (2, 2)


def test_image_ops_inside_torchvision_v2_compose():
    tv = pytest.importorskip(
        "torchvision.transforms.v2",
        reason="torchvision is not installed (its PyPI wheel does not import beside this torch)")
    x = torch.rand(2, 1, 16, 16)
    y = tv.Compose([ma.GaussianNoise(std=0.1), ma.GaussianBlur()])(x)
    assert y.shape == x.shape and not torch.equal(x, y)


def test_step_generator_and_perturb_on_device_on_cpu():
    x, texts = items(4)[0]["image"].expand(4, 1, 16, 16).contiguous(), REPORTS * 2
    a = perturb_on_device(policy(), x, texts, generator=step_generator(0, 5), device="cpu")
    b = policy()(x, texts, generator=step_generator(0, 5))
    assert torch.equal(a.images, b.images) and a.texts == b.texts
    assert not torch.equal(a.images, policy()(x, texts, generator=step_generator(0, 6)).images)
    with pytest.raises(ma.InputError, match="MultiModalPolicy"):
        perturb_on_device(ma.GaussianNoise(), x, texts, generator=0)


@pytest.mark.cuda
def test_gpu_step_matches_cpu_and_keeps_everything_on_the_device():
    x, texts = torch.rand(4, 1, 32, 32), REPORTS * 2
    gpu = perturb_on_device(policy(), x, texts, generator=step_generator(0, 1), device="cuda")
    cpu = policy()(x, texts, generator=step_generator(0, 1))
    for name in ("images", "mode", "image_present", "severity", "damage", "occlusion"):
        assert getattr(gpu, name).device.type == "cuda", name
    assert torch.equal(gpu.mode.cpu(), cpu.mode) and gpu.texts == cpu.texts
    assert (gpu.images.cpu() - cpu.images).abs().max() < 1e-4
