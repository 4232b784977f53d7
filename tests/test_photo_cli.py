"""``python -m dae_core photo`` on small pictures of your own: the report, the JSON, the PNG, and bad input."""

import json

import numpy as np
import pytest
from PIL import Image

from dae_core.cli import main
from dae_core.cli.photo import DEFAULT_SECONDS, DEFAULT_SELF_SUPERVISED
from dae_core.data import sample_photo
from dae_core.images import read_grayscale
from dae_core.photo_denoiser import PhotoDenoiserConfig


def run(capsys, *args):
    code = main(["photo", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def png(path, pixels):
    Image.fromarray(np.round(pixels * 255).astype(np.uint8), mode="L").save(path)
    return str(path)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """Two 64 x 80 grayscale PNGs cut from the sample photographs."""
    folder = tmp_path_factory.mktemp("pictures")
    china, flower = sample_photo("china")[180:244, 280:360], sample_photo("flower")[180:244, 280:360]
    return png(folder / "a.png", china), png(folder / "b.png", flower)


def test_it_reports_every_denoiser_s_psnr_and_writes_the_pictures_side_by_side(capsys, pictures, tmp_path):
    out_png = tmp_path / "side.png"
    code, out, err = run(capsys, "--train", pictures[0], "--test", pictures[1], "--seconds", "0.5", "--threads", "1",
                         "--device", "cpu", "--png", str(out_png), "--json")  # fmt: skip
    assert (code, err) == (0, [])
    assert (
        out[0] == f"Training the conv DAE on {pictures[0]} (clean) and the noisy {pictures[1]} for 0.5 s on the CPU..."
    )
    assert out[2].startswith(f"PSNR on {pictures[1]}, dB: noisy ") and ", non-local means (h " in out[2]
    report = json.loads(out[-1])
    assert list(report["psnr"]) == ["noisy", "gaussian_blur", "median", "nl_means", "conv_dae"]
    assert report["shape"] == [64, 80] and report["device"] == "cpu" and report["steps"] >= 1
    with open(pictures[1], "rb") as file:
        clean, noisy_psnr = read_grayscale("b.png", file.read()), report["psnr"]["noisy"]
    assert 10 ** (-noisy_psnr / 10) == pytest.approx((25 / 255) ** 2, rel=0.2)  # the noise it was asked for
    assert report["gap_to_nl_means"] == pytest.approx(report["psnr"]["nl_means"] - report["psnr"]["conv_dae"])
    with Image.open(out_png) as sheet:
        assert sheet.mode == "L" and sheet.size == (6 * 2 * 64 + 5 * 8, 2 * 64 + 28)  # six 64-pixel crops, doubled
    assert clean.shape == (64, 80)


def test_the_defaults_it_shows_are_the_engine_s():
    assert (
        PhotoDenoiserConfig.seconds,
        PhotoDenoiserConfig.self_supervised,
    ) == (DEFAULT_SECONDS, DEFAULT_SELF_SUPERVISED)


def test_bad_input_is_one_line_and_exit_2(capsys, pictures, tmp_path):
    tiny = png(tmp_path / "tiny.png", np.zeros((20, 30)))
    (tmp_path / "notes.png").write_text("not a picture")
    cases = [
        (["--test", str(tmp_path / "missing.png")], "error: --test '" + str(tmp_path / "missing.png")
         + "' is neither china nor flower nor a file it can read (No such file or directory)."),
        (["--test", str(tmp_path / "notes.png")], "error: notes.png is not a PNG or JPEG image Pillow can read"),
        (["--train", tiny], "error: The clean photograph must be a 2-D grayscale array of at least 40 x 40 pixels"),
        (["--sigma", "0"], "error: --sigma must be a number of 8-bit levels in [1, 100]. Got 0 instead."),
        (["--self-supervised", "2"], "error: --self-supervised must be a number in [0, 1]. Got 2.0 instead."),
        (["--seconds", "0"], "error: --seconds must be a number in (0, 86400]. Got 0.0 instead."),
    ]  # fmt: skip
    for flags, message in cases:
        code, out, err = run(capsys, "--seconds", "0.1", *flags)  # a flag given twice: the last counts
        assert (code, len(err)) == (2, 1) and err[0].startswith(message), (flags, err)
