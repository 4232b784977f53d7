"""The engine on a CUDA GPU: ``pytest -m cuda`` on a machine with one; every test here skips without one.

A GPU draws its random numbers from its own generator and sums in its own order, so a run on it agrees with the same
run on the CPU in quality, not bit for bit: the checks compare like with like (a sweep member with its own single run
on the card) or means over seeds.
"""

import io
import json
import statistics
from contextlib import redirect_stdout

import numpy as np
import pytest
import torch

from dae_core import RunConfig, Trainer, model_file
from dae_core.cli import main
from dae_core.serving.job import DONE, FAILED, TrainingJob
from dae_core.serving.pool import WorkerPool
from dae_core.serving.remote import RemoteJob
from dae_core.sweep import Sweep, expand

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (run with pytest -m cuda on one)"),
]
WAIT = 300.0  # seconds before a wait gives up; only reached when something is broken
DIGITS = RunConfig().replace(dataset="digits", hidden_layers=(128,), hidden_dim=16, epochs=20, device="cuda")


def final_test_mse(config: RunConfig) -> float:
    return list(Trainer(config).epochs())[-1].test_mse


def test_a_run_trains_and_evaluates_on_the_card_and_its_arrays_reach_the_host_when_read():
    trainer = Trainer(DIGITS.replace(epochs=2))
    list(trainer.epochs())
    assert {param.device.type for param in trainer.model.parameters()} == {"cuda"}
    evaluation = trainer.evaluate()
    assert evaluation.inputs.device.type == evaluation.outputs.device.type == "cuda"
    assert isinstance(evaluation.noisy, np.ndarray) and evaluation.noisy.shape == trainer.dataset.X_test.shape


def test_a_sweep_member_on_the_card_matches_its_own_single_run_there():
    configs = expand(DIGITS, {"noise_level": [0.2, 0.4, 0.6]})
    runs = Sweep(configs).run()
    assert all(run.batched for run in runs)
    for config, run in zip(configs, runs, strict=True):
        alone = final_test_mse(config)
        assert run.trained.history[-1].test_mse == pytest.approx(alone, rel=1e-4), config.noise.noise_level


def test_the_card_and_the_cpu_agree_on_average_over_five_seeds():
    seeds = range(5)
    on_card = [final_test_mse(DIGITS.replace(seed=seed)) for seed in seeds]
    on_cpu = [final_test_mse(DIGITS.replace(seed=seed, device="cpu")) for seed in seeds]
    assert statistics.mean(on_card) == pytest.approx(statistics.mean(on_cpu), rel=0.05)


def test_a_model_saved_on_the_card_reloads_on_the_cpu():
    trainer = Trainer(DIGITS.replace(epochs=3))
    list(trainer.epochs())
    trained = trainer.result()
    reloaded = model_file.load(model_file.to_bytes(trained))
    assert {param.device.type for param in reloaded.model.parameters()} == {"cpu"}
    X = trainer.dataset.X_test
    np.testing.assert_allclose(reloaded.denoise(X), trained.denoise(X), atol=1e-5)


def test_a_background_job_and_a_worker_process_train_on_the_card():
    job = TrainingJob(DIGITS.replace(epochs=3)).start()
    assert job.join(WAIT) and job.status == DONE, job.snapshot().reason
    pool = WorkerPool(1).start()
    try:
        remote = RemoteJob(DIGITS.replace(epochs=3), pool=pool).start()
        assert remote.join(WAIT) and remote.status == DONE, remote.snapshot().reason
    finally:
        pool.close()


def test_a_sweep_on_a_dask_cluster_trains_on_the_card():
    distributed = pytest.importorskip("distributed")
    argv = ["sweep", "--dataset", "digits", "--epochs", "3", "--noise-level", "0.2,0.4", "--device", "cuda", "--json"]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        out = io.StringIO()
        with redirect_stdout(out):
            code = main([*argv, "--scheduler", cluster.scheduler_address])
    report = json.loads(out.getvalue().splitlines()[-1])
    assert code == 0 and [run["device"] for run in report["runs"]] == ["cuda", "cuda"]


def test_a_run_that_does_not_fit_on_the_card_fails_clearly_and_the_next_one_trains():
    free, _ = torch.cuda.mem_get_info()
    filler = torch.empty(free - (64 << 20), dtype=torch.uint8, device="cuda")  # all but 64 MB of the card
    try:
        job = TrainingJob(DIGITS.replace(n_samples=200_000, dataset="synthetic", n_features=512, hidden_dim=4096))
        assert job.start().join(WAIT) and job.status == FAILED
        assert job.snapshot().reason.startswith("This run needed more memory than the GPU had free. Lower the batch")
    finally:
        del filler
        torch.cuda.empty_cache()
    again = TrainingJob(DIGITS.replace(epochs=2)).start()
    assert again.join(WAIT) and again.status == DONE, again.snapshot().reason


def test_the_photograph_denoiser_trains_in_bf16_and_denoises_a_whole_photograph_on_the_card():
    from dae_core.data import sample_photo
    from dae_core.metrics import psnr
    from dae_core.photo_denoiser import PhotoDenoiserConfig, add_noise, denoise, train

    clean, other = sample_photo("china"), sample_photo("flower")
    noisy = add_noise(other, 25 / 255)
    model, stats = train(clean, 25 / 255, PhotoDenoiserConfig(), "cuda", noisy=noisy, max_steps=300)
    assert stats.device.startswith("cuda") and {p.device.type for p in model.parameters()} == {"cuda"}
    image = denoise(model, noisy)
    assert image.shape == other.shape and psnr(other, image) > psnr(other, noisy) + 5


def test_the_baselines_on_the_card_score_as_on_the_cpu():
    """Identity and PCA are computed where the data is; the noisy test inputs differ between devices only by their
    random stream, so the two are compared on the same inputs: the card's, scored by both."""
    trainer = Trainer(DIGITS.replace(epochs=1))
    noisy, identity, pca, _ = trainer.evaluation_set()
    noisy_np, clean = noisy.cpu().numpy(), trainer.dataset.X_test
    assert identity == pytest.approx(float(np.mean((noisy_np.astype(np.float64) - clean) ** 2)), rel=1e-6)
    assert pca == pytest.approx(trainer.dataset.pca(trainer.pca_components).mse(noisy_np, clean), rel=1e-4)
