"""VQA-RAD and SLAKE on real images: baseline vs Robust-MMR vs from scratch, end to end.

``python benchmarks/vqa_study.py --vqa-rad ROOT --slake ROOT --setting cpu --work DIR``

1. **Corpus.** The training images of both datasets, each with a report made of its own
   training questions and answers ("Question? Answer." per question): VQA-RAD's *fit* part
   (``vqa_rad_holdout``, so the model-selection hold-out stays unseen) and SLAKE's
   ``train.json``. No validation or test question reaches pretraining. Written to
   ``DIR/corpus/`` (manifest + grey PNGs at the model's size).
2. **Pretraining.** ``mmr-train fit`` (``mmr_train.fit.fit``) of the baseline and Robust-MMR
   on that corpus with the same model, steps, batch, learning rate and seeds;
   ``data.second_view: style`` (Robust-MMR's second view restyles each study with a
   ``ScannerStyle`` / ``ReportStyle`` preset; the baseline has no consistency term).
3. **Fine-tuning.** ``mmr_train.vqa.finetune_vqa`` of each pretrained model and of a
   from-scratch model on both benchmarks. The floor is the fit run's step-0 checkpoint
   (``Trainer.save_checkpoint`` before any step: same network, initialisation seed and corpus
   tokenizer, no pretraining): VQA-RAD fit / hold-out,
   SLAKE train / validate. ``best.pt`` is chosen on validation only.
4. **Evaluation.** ``evaluate_vqa`` on each test split: clean, every image family and every
   meaning-preserving text family at the setting's severities, and both together; each
   question with its image absent and with another test image (``image_ablation``); and
   cross-dataset: the SLAKE model on VQA-RAD's comparable closed yes/no test questions and the
   reverse (``comparable_yes_no``). The floor is scored clean and cross-dataset only where the
   setting says so (``perturb_floor``; the CPU setting, to fit its time).
5. **Aggregate.** Mean ± std over seeds; ``DIR/results.json``, ``DIR/report.md``,
   ``DIR/figures/`` (accuracy vs severity per family and benchmark, per-family deltas) and a
   markdown table on stdout.

Independent jobs run in ``--jobs`` processes with ``--threads`` torch threads each; a job that
finished (``done.json`` in its folder) is not redone, so an interrupted study resumes where it
stopped. ``--quick`` is a smoke run: one seed, a few steps, one epoch, severity 3.

Example:
    >>> s = study_setting("cpu", quick=True)
    >>> s.seeds, s.pretrain_steps, s.finetune_epochs, s.severities
    (1, 3, 1, (3,))
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import torch
import yaml

from mmr_train.config import fit_config_from_dict
from mmr_train.data import build_vqa_pretraining_manifest, read_vqa, vqa_rad_holdout
from mmr_train.evaluate.compare import aggregate
from mmr_train.fit import fit
from mmr_train.trainer import Trainer
from mmr_train.vqa import finetune_vqa
from mmr_train.vqa.evaluate import YES_NO_RULE, comparable_yes_no, evaluate_vqa
from mmr_train.vqa.report import compare_vqa
from mmr_train.vqa.report import report_markdown as vqa_report

DATASETS = ("vqa_rad", "slake")
MODELS = ("baseline", "robust_mmr", "scratch")
PRETRAINED = ("baseline", "robust_mmr")
TARGET_PERTURBED_POINTS = 3.0
DONE = "done.json"


@dataclass(frozen=True)
class Setting:
    """Everything that sizes the study (see ``SETTINGS`` for how each value was chosen)."""

    name: str
    preset: str
    image_size: int
    pretrain_steps: int
    pretrain_batch: int
    pretrain_lr: float
    warmup_steps: int
    finetune_epochs: int
    finetune_batch: int
    finetune_lr: float
    device: str
    jobs: int
    threads: int
    seeds: int = 3
    severities: tuple[int, ...] = (1, 2, 3, 4, 5)
    holdout_fraction: float = 0.15
    perturb_floor: bool = True
    model: dict[str, Any] = field(default_factory=dict)


#: The demo's model (``mmr_train/configs/demo.yaml``): ``tiny`` at 64 px, width 64, one layer
#: per tower.
DEMO_MODEL = {"patch_size": 8, "width": 64, "heads": 4, "image_depth": 1, "text_depth": 1,
              "fusion_depth": 1, "decoder_width": 32, "decoder_depth": 1, "decoder_heads": 4,
              "vocab_size": 1000, "max_text_length": 64, "proj_dim": 32}
#: ``cpu``: the demo's model and pretraining recipe, sized to the time limit (the floor is
#: scored clean and cross-dataset only, to fit it); the fine-tuning learning rate was picked on
#: the VQA-RAD hold-out only, the pretraining steps (600, from 150) on the validation splits
#: (seeds 0-1), and ``best.pt`` picks the epoch on validation in every run
#: (benchmarks/README.md, "VQA-RAD and SLAKE study (real images)").
#: ``gpu``: ``base`` at 224 px on one CUDA device; untuned and not run yet.
SETTINGS = {
    "cpu": Setting(name="cpu", preset="tiny", image_size=64, pretrain_steps=600,
                   pretrain_batch=32, pretrain_lr=1e-3, warmup_steps=10, finetune_epochs=6,
                   finetune_batch=32, finetune_lr=1e-3, device="cpu", jobs=2, threads=1,
                   model=DEMO_MODEL, perturb_floor=False),
    "gpu": Setting(name="gpu", preset="base", image_size=224, pretrain_steps=20000,
                   pretrain_batch=64, pretrain_lr=1.5e-4, warmup_steps=1000,
                   finetune_epochs=30, finetune_batch=32, finetune_lr=5e-5, device="cuda",
                   jobs=1, threads=0),
}


def study_setting(name: str, quick: bool = False, seeds: int | None = None,
                  jobs: int | None = None) -> Setting:
    """The named setting; ``quick`` shrinks it to a smoke run (1 seed, 3 steps of 4 studies,
    1 epoch, severity 3)."""
    s = SETTINGS[name]
    if quick:
        s = replace(s, seeds=1, pretrain_steps=3, pretrain_batch=4, warmup_steps=1,
                    finetune_epochs=1, finetune_batch=8, severities=(3,))
    if seeds is not None:
        s = replace(s, seeds=seeds)
    if jobs is not None:
        s = replace(s, jobs=jobs)
    return s


# --- data ------------------------------------------------------------------------------------

def benchmark_rows(dataset: str, root: str | Path, holdout: float = 0.15
                   ) -> dict[str, list]:
    """``{"train", "val", "test"}`` rows of one benchmark (VQA-RAD: fit / hold-out / test)."""
    if dataset == "vqa_rad":
        fit_rows, held = vqa_rad_holdout(read_vqa("vqa_rad", root, "train"), holdout)
        return {"train": fit_rows, "val": held, "test": read_vqa("vqa_rad", root, "test")}
    return {"train": read_vqa("slake", root, "train"), "val": read_vqa("slake", root, "validate"),
            "test": read_vqa("slake", root, "test")}


def build_corpus(roots: dict[str, Path], work: Path, s: Setting) -> dict[str, Any]:
    """Pretraining manifest from the training rows of both benchmarks (module docstring)."""
    rows = [r for d in DATASETS for r in benchmark_rows(d, roots[d], s.holdout_fraction)["train"]]
    out = work / "corpus"
    done = out / DONE
    if done.exists():
        return json.loads(done.read_text())
    shutil.rmtree(out, ignore_errors=True)
    manifest = build_vqa_pretraining_manifest(rows, out, size=s.image_size)
    info = {"manifest": str(manifest), "questions": len(rows),
            "images": {d: len({r.image_id for r in rows if r.dataset == d}) for d in DATASETS}}
    done.write_text(json.dumps(info, indent=1))
    return info


# --- jobs (top-level functions: they run in worker processes) ---------------------------------

def fit_config(s: Setting, method: str, seed: int, manifest: str) -> dict[str, Any]:
    """The ``mmr-train fit`` config of one pretraining run (only ``method`` and ``seed`` vary)."""
    return {"preset": s.preset, "method": method,
            "model": {"image_size": s.image_size, **s.model},
            "data": {"kind": "manifest", "path": manifest, "second_view": "style"},
            "train": {"seed": seed, "max_steps": s.pretrain_steps, "batch_size": s.pretrain_batch,
                      "lr": s.pretrain_lr, "warmup_steps": s.warmup_steps,
                      "precision": "fp32" if s.device == "cpu" else "auto",
                      "checkpoint_every": s.pretrain_steps, "keep_last": 1, "log_every": 10}}


def pretrain_job(s: Setting, method: str, seed: int, manifest: str, out: str) -> dict[str, Any]:
    out_path = Path(out)
    out_path.mkdir(parents=True, exist_ok=True)
    config = out_path.parent / f"{out_path.name}.yaml"
    config.write_text(yaml.safe_dump(fit_config(s, method, seed, manifest)))
    return fit(config, out_path, progress=False, device=s.device)


def scratch_job(s: Setting, seed: int, manifest: str, out: str) -> dict[str, Any]:
    trainer = Trainer(fit_config_from_dict(fit_config(s, "baseline", seed, manifest)), out,
                      progress=False)
    trainer.save_checkpoint()
    return {}


def finetune_job(s: Setting, roots: dict[str, str], dataset: str, seed: int,
                 pretrained: str, out: str) -> dict[str, Any]:
    rows = benchmark_rows(dataset, roots[dataset], s.holdout_fraction)
    config = {"epochs": s.finetune_epochs, "batch_size": s.finetune_batch, "lr": s.finetune_lr,
              "seed": seed, "device": s.device, "num_threads": s.threads}
    finetune_vqa(rows["train"], rows["val"], out, pretrained=pretrained, config=config)
    lines = (Path(out) / "metrics.jsonl").read_text().splitlines()
    curve = [json.loads(line)["val_overall"] for line in lines]
    return {"val_curve": curve, "best_epoch": curve.index(max(curve)) + 1}


def evaluate_job(s: Setting, roots: dict[str, str], dataset: str, run: str, out: str,
                 perturbed: bool = True) -> dict[str, Any]:
    other = DATASETS[1 - DATASETS.index(dataset)]
    test = benchmark_rows(dataset, roots[dataset], s.holdout_fraction)["test"]
    cross = comparable_yes_no(read_vqa(other, roots[other], "test"))
    results = {"test": evaluate_vqa(run, test, perturbations="all" if perturbed else "none",
                                    severities=s.severities, device=s.device),
               "cross": evaluate_vqa(run, cross, perturbations="none", device=s.device)}
    for name, result in results.items():  # the study draws its figures over seeds, not here
        (Path(out) / name).mkdir(parents=True, exist_ok=True)
        (Path(out) / name / "results.json").write_text(json.dumps(result, indent=1))
        (Path(out) / name / "report.md").write_text(vqa_report(result))
    return {}


@dataclass
class Job:
    """One unit of work: ``fn(*args)`` after every job named in ``after`` is done."""

    name: str
    fn: Any
    args: tuple
    folder: Path
    after: tuple[str, ...] = ()


def plan(s: Setting, roots: dict[str, Path], work: Path, manifest: str) -> list[Job]:
    """Every pretraining, fine-tuning and evaluation job of the study, in priority order."""
    str_roots = {k: str(v) for k, v in roots.items()}
    jobs = []
    for seed in range(s.seeds):
        for method in PRETRAINED:
            folder = work / "pretrain" / method / f"seed{seed}"
            jobs.append(Job(f"pretrain {method} {seed}", pretrain_job,
                            (s, method, seed, manifest, str(folder)), folder))
        folder = work / "pretrain" / "scratch" / f"seed{seed}"
        jobs.append(Job(f"pretrain scratch {seed}", scratch_job, (s, seed, manifest, str(folder)),
                        folder))
    for seed in range(s.seeds):
        for model in MODELS:
            for dataset in DATASETS:
                folder = work / "finetune" / dataset / model / f"seed{seed}"
                pretrained = str(work / "pretrain" / model / f"seed{seed}")
                jobs.append(Job(f"finetune {dataset} {model} {seed}", finetune_job,
                                (s, str_roots, dataset, seed, pretrained, str(folder)), folder,
                                (f"pretrain {model} {seed}",)))
                ev = work / "eval" / dataset / model / f"seed{seed}"
                jobs.append(Job(f"evaluate {dataset} {model} {seed}", evaluate_job,
                                (s, str_roots, dataset, str(folder), str(ev),
                                 model != "scratch" or s.perturb_floor), ev,
                                (f"finetune {dataset} {model} {seed}",)))
    return jobs


def _worker_init(threads: int) -> None:
    if threads:
        torch.set_num_threads(threads)


def _call(job: Job) -> dict[str, Any]:
    """Run ``job`` from a clean folder and mark it done (with its result and seconds)."""
    shutil.rmtree(job.folder, ignore_errors=True)
    job.folder.mkdir(parents=True)
    start = time.perf_counter()
    result = job.fn(*job.args)
    info = {"job": job.name, "seconds": round(time.perf_counter() - start, 1),
            "result": result}
    (job.folder / DONE).write_text(json.dumps(info, indent=1, default=str))
    return info


def run_jobs(jobs: list[Job], workers: int, threads: int) -> dict[str, dict[str, Any]]:
    """Run ``jobs`` respecting ``after`` (``workers`` > 1: that many spawned processes, the
    earliest ready job first); jobs already done are read back, not rerun."""
    done = {j.name: json.loads((j.folder / DONE).read_text()) for j in jobs
            if (j.folder / DONE).exists()}
    pending = [j for j in jobs if j.name not in done]
    start = time.perf_counter()

    def finished(info: dict[str, Any]) -> None:
        done[info["job"]] = info
        print(f"[{time.perf_counter() - start:7.1f}s] {info['job']}: {info['seconds']:.1f}s "
              f"({len(done)}/{len(jobs)})", flush=True)

    def ready() -> list[Job]:
        return [j for j in pending if all(a in done for a in j.after)]

    if workers <= 1:
        _worker_init(threads)
        while pending:
            job = ready()[0]
            pending.remove(job)
            finished(_call(job))
        return done
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_worker_init,
                             initargs=(threads,)) as pool:
        running: dict[Any, Job] = {}
        while pending or running:
            for job in ready()[:workers - len(running)]:
                pending.remove(job)
                running[pool.submit(_call, job)] = job
            complete, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in complete:
                running.pop(future)
                finished(future.result())
    return done


# --- aggregation -----------------------------------------------------------------------------

def seed_summary(test: dict[str, Any], cross: dict[str, Any]) -> dict[str, Any]:
    """Headline numbers of one fine-tuned model (one seed, one benchmark)."""
    p = test.get("perturbed") or {}
    both = p.get("both") or {}
    ablation = test.get("image_ablation") or {}
    return {"clean_overall": test["clean"]["overall"]["accuracy"],
            "clean_closed": test["clean"]["closed"]["accuracy"],
            "clean_open": test["clean"]["open"]["accuracy"],
            "image_absent": (ablation.get("absent") or {}).get("overall"),
            "image_shuffled": (ablation.get("shuffled") or {}).get("overall"),
            "perturbed_mean": p.get("mean_all"),
            "perturbed_worst": (p.get("worst") or {}).get("mean"),
            "worst_family": (p.get("worst") or {}).get("family"),
            "both": statistics.fmean(v["overall"] for v in both.values()) if both else None,
            "cross": cross["clean"]["overall"]["accuracy"],
            "families": {n: f["mean"] for n, f in p.get("families", {}).items()}}


METRICS = ("clean_overall", "clean_closed", "clean_open", "image_absent", "image_shuffled",
           "perturbed_mean", "perturbed_worst", "both", "cross")


def _stats(values: list[float | None]) -> dict[str, Any]:
    return aggregate([{"x": v} for v in values])["x"]


def summarise(per_seed: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """Mean ± std over seeds per benchmark and model, per-family deltas and the targets."""
    out: dict[str, Any] = {}
    for dataset, models in per_seed.items():
        stats = {m: {k: _stats([r[k] for r in runs]) for k in METRICS}
                 for m, runs in models.items()}
        fams = {m: {f: _stats([r["families"][f] for r in runs]) for f in runs[0]["families"]}
                for m, runs in models.items()}
        entry = {"models": stats, "families": fams}
        if {"baseline", "robust_mmr"} <= set(models):
            entry["deltas"] = {f: fams["robust_mmr"][f]["mean"] - v["mean"]
                               for f, v in fams["baseline"].items()
                               if f in fams["robust_mmr"]}
            entry["targets"] = targets(stats["baseline"], stats["robust_mmr"])
        out[dataset] = entry
    return out


def targets(base: dict[str, Any], robust: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets: clean no worse than the baseline within one std (the larger of the
    two models' stds), perturbed mean >= 3 points ahead and beyond that std."""
    def gap(key: str) -> tuple[float, float]:
        noise = max(base[key]["std"], robust[key]["std"])
        return 100 * (robust[key]["mean"] - base[key]["mean"]), 100 * noise

    clean, clean_noise = gap("clean_overall")
    out = {"clean": {"delta_points": clean, "std_points": clean_noise,
                     "met": clean >= -clean_noise}}
    if base["perturbed_mean"]["mean"] is not None:
        pert, pert_noise = gap("perturbed_mean")
        out["perturbed"] = {"delta_points": pert, "std_points": pert_noise,
                            "met": pert >= TARGET_PERTURBED_POINTS and pert > pert_noise}
    return out


def _cell(stat: dict[str, Any]) -> str:
    if stat["mean"] is None:
        return "-"
    return f"{100 * stat['mean']:.1f} ± {100 * stat['std']:.1f}"


def markdown_table(summary: dict[str, Any]) -> str:
    """Accuracy (%) mean ± std over seeds per benchmark and model."""
    heads = ("clean overall", "clean closed", "clean open", "image absent", "image shuffled",
             "perturbed mean", "perturbed worst", "image+text", "cross-dataset")
    lines = ["| benchmark | model | " + " | ".join(heads) + " |",
             "|---|---|" + "---:|" * len(heads)]
    for dataset, entry in summary.items():
        for model, stats in entry["models"].items():
            lines.append(f"| {dataset} | {model} | "
                         + " | ".join(_cell(stats[k]) for k in METRICS) + " |")
    return "\n".join(lines)


def report_markdown(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    """``report.md``: settings, corpus, the table, per-family deltas and the targets."""
    s = meta["setting"]
    lines = ["# VQA-RAD and SLAKE study", "",
             f"Setting `{s['name']}`: preset `{s['preset']}` at {s['image_size']} px"
             f"{' with ' + str(s['model']) if s['model'] else ''}, {s['seeds']} seed(s); "
             f"pretraining {s['pretrain_steps']} steps x batch "
             f"{s['pretrain_batch']} (lr {s['pretrain_lr']}); fine-tuning "
             f"{s['finetune_epochs']} epochs x batch {s['finetune_batch']} (lr "
             f"{s['finetune_lr']}); severities {s['severities']}. Wall time of this invocation "
             f"(jobs done by an earlier one are not redone): {meta['seconds'] / 60:.1f} min.", "",
             f"Corpus: {meta['corpus']['questions']} training questions about "
             f"{meta['corpus']['images']['vqa_rad']} VQA-RAD images (its fit part) and "
             f"{meta['corpus']['images']['slake']} SLAKE training images.", "",
             "Accuracy in %, mean ± std over seeds. Perturbed: mean over families (each the mean "
             "over severities) and the worst family; image absent / shuffled: clean questions "
             "with no image or another test image (how much the answers use the image); "
             "image+text: both perturbed at once; "
             f"cross-dataset: the other benchmark's {YES_NO_RULE}.", "",
             markdown_table(summary)]
    for dataset, entry in summary.items():
        if "deltas" not in entry:
            continue
        lines += ["", f"## {dataset}: Robust-MMR minus baseline per family (points)", "",
                  "| family | baseline | robust_mmr | delta |", "|---|---:|---:|---:|"]
        fams = entry["families"]
        for f, d in sorted(entry["deltas"].items(), key=lambda kv: kv[1]):
            lines.append(f"| {f} | {_cell(fams['baseline'][f])} | "
                         f"{_cell(fams['robust_mmr'][f])} | {100 * d:+.1f} |")
        t = entry["targets"]
        lines += ["", "Targets: clean within one std of the baseline: "
                  f"{'met' if t['clean']['met'] else 'NOT met'} "
                  f"({t['clean']['delta_points']:+.1f} points, std {t['clean']['std_points']:.1f})"]
        if "perturbed" in t:
            lines[-1] += (f"; perturbed mean >= {TARGET_PERTURBED_POINTS:.0f} points ahead "
                          f"beyond one std: {'met' if t['perturbed']['met'] else 'NOT met'} "
                          f"({t['perturbed']['delta_points']:+.1f} points, std "
                          f"{t['perturbed']['std_points']:.1f}).")
    return "\n".join(lines) + "\n"


def delta_figure(summary: dict[str, Any], path: Path) -> Path:
    """Bar chart of Robust-MMR minus baseline per family, one panel per benchmark."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    entries = [(d, e["deltas"]) for d, e in summary.items() if e.get("deltas")]
    fig, axes = plt.subplots(1, max(1, len(entries)), figsize=(6 * max(1, len(entries)), 5),
                             squeeze=False)
    for ax, (dataset, deltas) in zip(axes[0], entries, strict=False):
        names = sorted(deltas, key=deltas.get)
        values = [100 * deltas[n] for n in names]
        ax.barh(names, values, color=["tab:red" if v < 0 else "tab:green" for v in values])
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(f"{dataset}: Robust-MMR - baseline")
        ax.set_xlabel("accuracy points")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def collect(s: Setting, work: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read every evaluation back: (raw results per benchmark and model, per-seed summaries)."""
    raw: dict[str, dict[str, list]] = {}
    per_seed: dict[str, dict[str, list]] = {}
    for dataset in DATASETS:
        for model in MODELS:
            for seed in range(s.seeds):
                folder = work / "eval" / dataset / model / f"seed{seed}"
                test = json.loads((folder / "test" / "results.json").read_text())
                cross = json.loads((folder / "cross" / "results.json").read_text())
                raw.setdefault(dataset, {}).setdefault(model, []).append(test)
                per_seed.setdefault(dataset, {}).setdefault(model, []).append(
                    seed_summary(test, cross))
    return raw, per_seed


def run_study(vqa_rad: str | Path, slake: str | Path, work: str | Path, s: Setting
              ) -> dict[str, Any]:
    """Steps 1-5 of the module docstring; returns what ``work/results.json`` holds."""
    start = time.perf_counter()
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    roots = {"vqa_rad": Path(vqa_rad), "slake": Path(slake)}
    corpus = build_corpus(roots, work, s)
    print(f"corpus: {corpus['questions']} training questions, images {corpus['images']}",
          flush=True)
    jobs = run_jobs(plan(s, roots, work, corpus["manifest"]), s.jobs, s.threads)
    raw, per_seed = collect(s, work)
    for dataset, models in raw.items():
        compare_vqa({m: runs for m, runs in models.items() if "perturbed" in runs[0]},
                    work / "figures" / dataset)
    summary = summarise(per_seed)
    if any(e.get("deltas") for e in summary.values()):
        delta_figure(summary, work / "figures" / "family_deltas.png")
    meta = {"setting": asdict(s), "corpus": corpus, "seconds": time.perf_counter() - start,
            "cross_rule": YES_NO_RULE,
            "jobs": {name: {"seconds": j["seconds"], **(j["result"] or {})}
                     for name, j in jobs.items() if not name.startswith("pretrain")}}
    results = {"meta": meta, "summary": summary, "per_seed": per_seed}
    (work / "results.json").write_text(json.dumps(results, indent=1))
    (work / "report.md").write_text(report_markdown(summary, meta))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vqa-rad", required=True, type=Path, help="VQA-RAD root")
    parser.add_argument("--slake", required=True, type=Path, help="SLAKE root")
    parser.add_argument("--setting", choices=sorted(SETTINGS), default="cpu")
    parser.add_argument("--work", required=True, type=Path,
                        help="scratch folder for corpus, runs and results (outside the repo)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 3 steps")
    parser.add_argument("--seeds", type=int, default=None, help="override the setting's seeds")
    parser.add_argument("--jobs", type=int, default=None, help="override parallel processes")
    args = parser.parse_args(argv)
    s = study_setting(args.setting, args.quick, args.seeds, args.jobs)
    if s.device == "cuda" and not torch.cuda.is_available():
        print("the gpu setting needs a CUDA device; use --setting cpu here", file=sys.stderr)
        return 2
    results = run_study(args.vqa_rad, args.slake, args.work, s)
    print(markdown_table(results["summary"]))
    print(f"\n{args.work / 'report.md'}, {args.work / 'results.json'}, "
          f"{args.work / 'figures'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
