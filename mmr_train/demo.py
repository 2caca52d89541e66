"""The demo: synthetic hospitals -> baseline vs Robust-MMR, same budget and seeds -> runs/demo/.

``python -m mmr_train.demo [--quick] [--seeds 3] [--out runs/demo] [--workers N]``

1. Renders synthetic phantom studies in *source* domains (scanner x report style pairs used for
   training, the probe and everything else) and *held-out* domains (presets never seen in
   training, tuning or checkpoint selection; the training second views and style families use
   source presets only). The data are fixed (dataset seed 0); seeds vary the training run.
2. Trains the baseline and Robust-MMR (``mmr_train/configs/demo.yaml``, same steps, batch and
   seeds; the last checkpoint is evaluated, nothing is selected).
3. Evaluates both (:mod:`mmr_train.evaluate`), then the ablation (Robust-MMR with one component
   removed, first seed only), and writes ``results.json``, ``report.md`` and ``figures/``.

The runs are independent, so ``--workers N`` trains and evaluates them in ``N`` spawned
processes of one thread each (default: one per CPU core); every run seeds all its own random
streams, so the results equal a serial run's (``--workers 1``) number for number.

Checkpoints stay in ``OUT/<model>/seed<k>/``; ``OUT/data/`` holds the probe-training and test
manifests, so ``mmr-train eval --checkpoint OUT/robust_mmr/seed0 --train-manifest
OUT/data/probe_train/manifest.csv --test-manifest OUT/data/test/manifest.csv`` re-evaluates.

Example:
    >>> cfg = run_config("robust_mmr", seed=2, steps=10, change=ABLATIONS["no_consistency"])
    >>> cfg.loss.consistency, cfg.train.seed, cfg.views.scanner
    (0.0, 2, ['cr', 'dr_flat_panel', 'soft_processing'])
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch
import yaml

from .config import fit_config_from_dict
from .evaluate import (
    CorruptionBank,
    EvalSet,
    FrozenEncoder,
    evaluate_encoder,
    robustness_set,
    with_reference,
)
from .evaluate.compare import targets
from .evaluate.demo_report import demo_markdown, write_figures
from .evaluate.report import comparison_table, write_json
from .evaluate.results import EvaluationResult
from .model.image_encoder import monai_blocks
from .sources import RenderedStudies
from .trainer import Trainer
from .views import DEFAULT_POLICY, build_policy

SOURCE = (("cr", "academic_structured"), ("dr_flat_panel", "terse_templated"),
          ("soft_processing", "dictated_narrative"))
HELD_OUT = (("portable_ap", "abbreviation_heavy"), ("digitised_film", "mixed_community"),
            ("low_dose", "numbered_impression"))
#: Ablation variant -> config changes that remove one Robust-MMR component.
ABLATIONS: dict[str, dict[str, Any]] = {
    "no_perturbation": {"policy": {**DEFAULT_POLICY, "modes": {"none": 1.0}}},
    "no_consistency": {"loss": {"consistency": 0.0}},
    "no_resilience": {"loss": {"resilience": 0.0},
                      "policy": {**DEFAULT_POLICY, "drop": {"image": 0.0, "text": 0.0}}},
}


@dataclass
class DemoSize:
    """How big the demo is."""

    n_train: int = 384
    n_test_per_domain: int = 40
    robustness_n: int = 64
    steps: int | None = None  # None: demo.yaml's train.max_steps
    severities: tuple[int, ...] = (1, 2, 3, 4, 5)


QUICK = DemoSize(n_train=32, n_test_per_domain=4, robustness_n=6, steps=2, severities=(1, 3, 5))


class Clock:
    """Wall time per stage, printed as it goes."""

    def __init__(self) -> None:
        self.start, self.stages = time.perf_counter(), {}

    def done(self, stage: str, since: float) -> None:
        self.stages[stage] = round(time.perf_counter() - since, 2)
        print(f"[{time.perf_counter() - self.start:6.1f}s] {stage}: {self.stages[stage]:.1f}s",
              flush=True)


def base_config() -> dict[str, Any]:
    """``mmr_train/configs/demo.yaml`` as a dict."""
    text = resources.files("mmr_train").joinpath("configs/demo.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def run_config(method: str, seed: int, steps: int | None, change: dict[str, Any] | None = None
               ) -> Any:
    """The fit config of one training run (second views and style families: source only)."""
    data = base_config()
    data["method"] = method
    data["train"] = {**data["train"], "seed": seed}
    if steps is not None:
        data["train"]["max_steps"] = steps
        data["train"]["warmup_steps"] = min(data["train"]["warmup_steps"], steps)
    data["views"] = {"scanner": [s for s, _ in SOURCE], "report": [r for _, r in SOURCE]}
    for key, value in (change or {}).items():
        data[key] = {**data.get(key, {}), **value} if key == "loss" else value
    return fit_config_from_dict(data)


def training_set(n: int, size: int) -> tuple[RenderedStudies, EvalSet]:
    """Source-domain studies ``0..n-1`` (study ``i`` in source domain ``i % 3``) with a second
    view in the next source domain, and the same studies as the probe's training set."""
    sets = [EvalSet.synthetic(n, size, [d], seed=0) for d in SOURCE]
    primary = torch.arange(n) % len(SOURCE)
    rows = torch.arange(n)
    pick = torch.stack([s.images for s in sets])
    images, view2 = pick[primary, rows], pick[(primary + 1) % len(SOURCE), rows]
    reports = [sets[int(d)].reports[i] for i, d in enumerate(primary)]
    reports2 = [sets[(int(d) + 1) % len(SOURCE)].reports[i] for i, d in enumerate(primary)]
    labels = sets[0].labels
    studies = RenderedStudies(images, reports, labels, primary, view2, reports2)
    names = [sets[d].domain_names[0] for d in range(len(SOURCE))]
    return studies, EvalSet(images, reports, labels, sets[0].observations, primary, names)


def evaluation_set(n_per_domain: int, size: int, start: int) -> EvalSet:
    """``n_per_domain`` new studies in every source and held-out domain."""
    domains = SOURCE + HELD_OUT
    return EvalSet.synthetic(n_per_domain * len(domains), size, list(domains), seed=0,
                             start=start)


def train_run(name: str, cfg: Any, out: Path, studies: RenderedStudies, clock: Clock,
              progress: bool = True) -> None:
    """Train one run into ``out`` (replacing an earlier demo run there)."""
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    Trainer(cfg, out, dataset=studies, progress=progress).fit()
    clock.done(f"train {name}", t0)


def evaluate_run(name: str, out: Path, probe_train: EvalSet, test: EvalSet,
                 bank: CorruptionBank, size: DemoSize, clock: Clock) -> EvaluationResult:
    """Evaluate the last checkpoint of the run in ``out`` (its final weights)."""
    t0 = time.perf_counter()
    result = evaluate_encoder(FrozenEncoder.from_checkpoint(out), probe_train, test, bank=bank,
                              robustness_n=size.robustness_n, severities=size.severities)
    clock.done(f"evaluate {name}", t0)
    return result


def expected_cost(cfg: Any) -> float:
    """A training's cost relative to the baseline's, for ordering the work (measured here:
    baseline ~24 s, one view perturbed ~38 s, two views ~49 s, two views perturbed ~75 s).

    Example:
        >>> [expected_cost(run_config("robust_mmr", 0, 10, change))
        ...  for change in (None, *ABLATIONS.values())]
        [3.0, 2.0, 1.5, 3.0]
    """
    perturbs = bool(build_policy(cfg).mode_weights[1:].sum() > 0)  # any mode but "none"
    return (1.0 + (cfg.loss_weights()["consistency"] > 0)) * (1.5 if perturbs else 1.0)


# Per worker process: the bank of its first evaluation (every evaluation of a demo gets the
# same bank; kept, its corrupted copies are made once per process, not once per evaluation)
_WORKER_BANK: list[CorruptionBank] = []


def _start_worker() -> None:
    torch.set_num_threads(1)
    monai_blocks()  # the model's MONAI import (2-3 s), made while the parent renders the data


def _ready() -> None:
    """A task that does nothing: submitted first, it starts a worker process."""


def _train_job(name: str, cfg: Any, out: Path, studies: RenderedStudies) -> dict[str, float]:
    clock = Clock()
    train_run(name, cfg, out, studies, clock, progress=False)
    return clock.stages


def _evaluate_job(name: str, out: Path, data: dict[str, Any]
                  ) -> tuple[EvaluationResult, dict[str, float]]:
    if not _WORKER_BANK:
        _WORKER_BANK.append(data["bank"])
    clock = Clock()
    result = evaluate_run(name, out, data["probe_train"], data["test"], _WORKER_BANK[0],
                          data["size"], clock)
    return result, clock.stages


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor | None]:
    """``workers`` spawned processes of one thread each, started at once (each imports this
    package, ~4 s, while the caller renders the data); None for ``workers <= 1``."""
    if workers <= 1:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker) as pool:
        for _ in range(workers):
            pool.submit(_ready)
        yield pool


def run_jobs(jobs: list[tuple[str, Any, Path]], data: dict[str, Any], clock: Clock,
             pool: ProcessPoolExecutor | None = None) -> list[EvaluationResult]:
    """Train and evaluate every ``(name, config, out)`` job; results in job order.

    With a ``pool`` (:func:`worker_pool`) the trainings go first, the most costly first
    (:func:`expected_cost`), and each evaluation is queued as its training ends, so the
    short evaluations fill the processes' last minutes. The stage times of each job are
    added to ``clock``.
    """
    if pool is None:
        results = []
        for name, cfg, out in jobs:
            train_run(name, cfg, out, data["studies"], clock)
            results.append(evaluate_run(name, out, data["probe_train"], data["test"],
                                        data["bank"], data["size"], clock))
        return results
    order = sorted(range(len(jobs)), key=lambda i: -expected_cost(jobs[i][1]))
    training = {pool.submit(_train_job, *jobs[i], data["studies"]): i for i in order}
    scoring = {k: data[k] for k in ("probe_train", "test", "bank", "size")}
    evaluating = {}
    for future in as_completed(training):
        clock.stages.update(future.result())
        name, _, out = jobs[training[future]]
        evaluating[training[future]] = pool.submit(_evaluate_job, name, out, scoring)
    results = []
    for i in range(len(jobs)):
        result, stages = evaluating[i].result()
        clock.stages.update(stages)
        results.append(result)
    return results


def score_runs(results_by_job: list[EvaluationResult], seeds: int
               ) -> tuple[dict[str, list[EvaluationResult]], dict[str, EvaluationResult]]:
    """The jobs' results (:func:`run_demo`'s job order) with MedMNIST-C's BE / rBE, the
    baseline of the same seed as the reference (its AlexNet; the ablation runs are seed 0),
    as runs per model and as the ablation."""
    refs = [r.corruption for r in results_by_job[0:2 * seeds:2]]
    scored = [with_reference(r, refs[i // 2 if i < 2 * seeds else 0], "baseline")
              for i, r in enumerate(results_by_job)]
    runs = {m: scored[i:2 * seeds:2] for i, m in enumerate(("baseline", "robust_mmr"))}
    ablation = {"full": runs["robust_mmr"][0],
                **dict(zip(ABLATIONS, scored[2 * seeds:], strict=True))}
    return runs, ablation


def run_demo(out: str | Path = "runs/demo", seeds: int = 3, size: DemoSize | None = None,
             workers: int = 1) -> dict[str, Any]:
    """Everything the module docstring lists, runs in ``workers`` processes; returns the
    results dict it writes."""
    size, out, clock = size or DemoSize(), Path(out), Clock()
    # One thread: this model's matrices are small, and on a busy 2-core machine a second
    # thread made each op up to 10x slower (measured); unloaded it gains little.
    torch.set_num_threads(1)
    image_size = base_config()["model"]["image_size"]
    jobs = [(f"{method} seed {seed}", run_config(method, seed, size.steps),
             out / method / f"seed{seed}")
            for seed in range(seeds) for method in ("baseline", "robust_mmr")]
    jobs += [(f"ablation {variant}", run_config("robust_mmr", 0, size.steps, change),
              out / "ablation" / variant / "seed0") for variant, change in ABLATIONS.items()]
    with worker_pool(min(workers, len(jobs))) as pool:
        t0 = time.perf_counter()
        studies, probe_train = training_set(size.n_train, image_size)
        test = evaluation_set(size.n_test_per_domain, image_size, start=size.n_train)
        robust = robustness_set(probe_train, test, size.robustness_n)
        bank = CorruptionBank(robust.images, robust.reports)
        probe_train.write(out / "data" / "probe_train")
        test.write(out / "data" / "test")
        clock.done("render data", t0)
        data = {"studies": studies, "probe_train": probe_train, "test": test, "bank": bank,
                "size": size}
        results_by_job = run_jobs(jobs, data, clock, pool)
        runs, ablation = score_runs(results_by_job, seeds)
        t0 = time.perf_counter()
        write_figures(runs, bank, out / "figures", pool)
        clock.done("figures", t0)
    results = {
        "meta": {"seeds": list(range(seeds)), "size": {**vars(size),
                                                       "severities": list(size.severities)},
                 "source_domains": [list(d) for d in SOURCE],
                 "held_out_domains": [list(d) for d in HELD_OUT],
                 "config": run_config("robust_mmr", 0, size.steps).to_dict(),
                 "ablation_seeds": [0], "timings_s": clock.stages,
                 "wall_time_s": round(time.perf_counter() - clock.start, 1)},
        "models": {m: {"seeds": {str(s): r.to_json() for s, r in enumerate(rs)}}
                   for m, rs in runs.items()},
        "ablation": {k: r.to_json() for k, r in ablation.items()},
        "targets": targets(runs["baseline"], runs["robust_mmr"]),
    }
    write_json(results, out / "results.json")
    (out / "report.md").write_text(demo_markdown(results), encoding="utf-8")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the demo."""
    parser = argparse.ArgumentParser(prog="python -m mmr_train.demo", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and 2 training steps (a smoke test, ~1 min)")
    parser.add_argument("--seeds", type=int, default=3, help="training seeds per model")
    parser.add_argument("--out", type=Path, default=Path("runs/demo"), help="output folder")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="training processes, one thread each (default: CPU cores)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be >= 1")
    if args.workers < 1:
        parser.error("--workers must be >= 1")
    results = run_demo(args.out, args.seeds, QUICK if args.quick else None, args.workers)
    runs = {m: [EvaluationResult.from_json(r) for r in v["seeds"].values()]
            for m, v in results["models"].items()}
    print("\n" + comparison_table(runs))
    t = results["targets"]
    print("\nTargets met: " + ", ".join(f"{k}={'yes' if v['met'] else 'no'}"
                                        for k, v in t.items()))
    print(f"Wall time: {results['meta']['wall_time_s']:.0f} s; report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
