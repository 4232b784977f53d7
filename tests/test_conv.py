"""The convolutional DAE and the image datasets it trains on: shapes, the tied decoder, the classic baselines in a run's
report, MNIST-format files in the data folder, and a user's pictures."""

import io
import json
import math
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from dae_core.cli import main
from dae_core.config import ModelConfig, RunConfig
from dae_core.errors import ConfigError
from dae_core.model import ConvDenoisingAutoencoder, build_model, parameter_count
from dae_core.model_file import load, save
from dae_core.training import Trainer
from tests.test_idx import write_set


@pytest.mark.parametrize("shape", [(8, 8, 1), (12, 12, 1), (7, 9, 3), (28, 28, 1)])
@pytest.mark.parametrize("stages", [(16,), (8, 16)])
@pytest.mark.parametrize("tied", [False, True])
def test_a_conv_model_maps_rows_back_to_rows_and_counts_its_parameters(shape, stages, tied):
    cfg = ModelConfig(architecture="conv", conv_channels=stages, code_channels=4, tied_weights=tied)
    dim = math.prod(shape)
    model = build_model(cfg, dim, True, shape, torch.Generator().manual_seed(0))
    x = torch.rand(5, dim)
    assert model(x).shape == (5, dim)
    h, w = shape[:2]
    for _ in stages:
        h, w = (h + 1) // 2, (w + 1) // 2
    assert model.code_shape == (4, h, w) and model.encode(x).shape == (5, 4 * h * w) == (5, model.hidden_dim)
    assert sum(p.numel() for p in model.parameters()) == parameter_count(dim, cfg, shape)
    assert model.first_layer_weights.shape == (stages[0], 9 * shape[2])


def test_a_tied_decoder_layer_is_the_adjoint_of_its_encoder_layer():
    """<conv(x), y> = <x, conv_transpose(y)> with the same weight: the tied decoder is the encoder transposed."""
    model = ConvDenoisingAutoencoder((8, 8, 1), 4, (6,), activation="identity", tied_weights=True)
    weight = model.encoder[0].weight
    x, y = torch.randn(2, 1, 8, 8), torch.randn(2, 6, 4, 4)
    forward = torch.nn.functional.conv2d(x, weight, stride=2, padding=1)
    back = torch.nn.functional.conv_transpose2d(y, weight, stride=2, padding=1, output_padding=1)
    assert torch.allclose((forward * y).sum(), (x * back).sum(), atol=1e-4)


def test_a_conv_model_needs_images_and_enough_pixels_to_halve():
    with pytest.raises(ConfigError, match="needs image data"):
        build_model(ModelConfig(architecture="conv"), 20, False, None)
    with pytest.raises(ConfigError) as refused:
        build_model(ModelConfig(architecture="conv", conv_channels=(4, 4, 4)), 16, True, (4, 4, 1))
    assert str(refused.value) == (
        "3 stride-2 stages halve 4 x 4 pixels 3 times, past one pixel. Use at most 2 conv channel stages, or larger "
        "images."
    )
    with pytest.raises(ConfigError, match="Use the dense architecture, or images at least 2 pixels on each side"):
        build_model(ModelConfig(architecture="conv"), 64, True, (1, 64, 1))


def test_a_conv_run_on_photos_reports_psnr_image_shape_and_every_baseline(capsys):
    code = main(["train", "--dataset", "photos", "--architecture", "conv", "--n-samples", "200", "--epochs", "3"]
                + ["--noise", "gaussian", "--noise-level", "0.2", "--json"])  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    report = json.loads(out[-1])
    assert code == 0 and report["image_shape"] == [12, 12, 1] and report["psnr"] > 0
    assert set(report["baselines"]) == {"identity", "pca", "gaussian_blur", "median", "nl_means"}
    best = min(report["baselines"][name] for name in ("gaussian_blur", "median", "nl_means"))
    assert report["db_over_classic"] == pytest.approx(10 * math.log10(best / report["test_mse"]))
    assert set(report["classic_widths"]) == {"gaussian_blur", "median", "nl_means"}
    line = next(line for line in out if line.startswith("Classic denoisers on the same inputs: Gaussian blur (σ"))
    assert ", non-local means (h " in line


def test_digits_have_no_non_local_means_baseline(capsys):
    """Non-local means looks for repeated patches, which photographs have and 8 x 8 digits do not."""
    assert main(["train", "--dataset", "digits", "--n-samples", "200", "--epochs", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert set(report["baselines"]) == {"identity", "pca", "gaussian_blur", "median"}


def test_a_table_has_no_classic_baselines(capsys):
    assert main(["train", "--n-samples", "100", "--epochs", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert set(report["baselines"]) == {"identity", "pca"} and report["image_shape"] is None


def test_a_conv_model_file_loads_with_its_architecture_and_shape(tmp_path):
    config = RunConfig().replace(dataset="digits", architecture="conv", conv_channels=(8,), code_channels=4, epochs=1)
    trainer = Trainer(config)
    list(trainer.epochs())
    path = tmp_path / "conv.dae"
    save(trainer.result(), path)
    loaded = load(path)
    assert loaded.image_shape == (8, 8, 1) and loaded.config.model.architecture == "conv"
    X = trainer.dataset.X_test[:5]
    assert np.allclose(loaded.denoise(X), trainer.result().denoise(X), atol=1e-6)


def test_mnist_trains_from_idx_files_in_the_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAE_DATA_DIR", str(tmp_path))
    write_set(tmp_path / "datasets" / "mnist", n_train=120, n_test=40, shape=(28, 28))
    code = main(["train", "--dataset", "mnist", "--architecture", "conv", "--n-samples", "100", "--epochs", "1"]
                + ["--json"])  # fmt: skip
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert code == 0 and report["image_shape"] == [28, 28, 1] and report["psnr"] is not None


def test_missing_mnist_files_exit_2_naming_the_folder_and_the_fetch_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAE_DATA_DIR", str(tmp_path))
    assert main(["train", "--dataset", "mnist", "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert str(tmp_path / "datasets" / "mnist") in err[0] and "python -m dae_core datasets fetch mnist" in err[0]


def _pictures_zip(path):
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(path, "w") as archive:
        for folder, level in (("dark", 40), ("light", 200)):
            for i in range(8):
                pixels = np.clip(rng.normal(level, 20, (20, 20)), 0, 255).astype(np.uint8)
                buffer = io.BytesIO()
                Image.fromarray(pixels).save(buffer, format="PNG")
                archive.writestr(f"{folder}/{i}.png", buffer.getvalue())
    return path


def test_pictures_in_two_folders_train_with_labels_by_folder(tmp_path, capsys):
    path = _pictures_zip(tmp_path / "photos.zip")
    code = main(["train", "--images", str(path), "--image-size", "8", "--architecture", "conv", "--epochs", "2"]
                + ["--json"])  # fmt: skip
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert code == 0 and report["image_shape"] == [8, 8, 1]
    dataset = Trainer(RunConfig().replace(images_path=str(path), dataset="images", image_size=8, epochs=1)).dataset
    assert dataset.class_names == ("dark", "light") and set(dataset.y_train) | set(dataset.y_test) == {0, 1}


def test_a_bad_zip_exits_2_saying_what_to_fix(tmp_path, capsys):
    path = tmp_path / "pictures.zip"
    path.write_bytes(b"not a zip at all")
    assert main(["train", "--images", str(path), "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a zip file" in err[0] and "Zip the folder of pictures again" in err[0]
