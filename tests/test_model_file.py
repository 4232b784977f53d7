"""Tests for dae_core.model_file: round trips, describe(), and every way a model file is refused."""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile

import numpy as np
import pytest
import safetensors.torch
import torch

from dae_core import ModelFileError, RunConfig, Trainer, model_file

MAKE_ONE = (
    "Make a model file with `python -m dae_core train --save model.dae` or `dae_core.model_file.save(trained, path)`."
)
PICKLE_REFUSED = (
    "is a pickle-based file (e.g. torch.save / .pt / .pkl). Pickle-based files are never loaded "
    "because they can run code. " + MAKE_ONE
)


def _train(**changes):
    config = RunConfig().replace(**{"epochs": 2, "n_samples": 100, **changes})
    trainer = Trainer(config)
    list(trainer.epochs())
    return trainer.result(), trainer.dataset


@pytest.fixture(scope="module")
def trained_and_data():
    return _train()


@pytest.fixture(scope="module")
def trained(trained_and_data):
    return trained_and_data[0]


@pytest.fixture(scope="module")
def good(trained):
    return model_file.to_bytes(trained)


def _members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes] | list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in items:
            archive.writestr(name, content)
    return buffer.getvalue()


def _with_meta(content: bytes, edit) -> bytes:
    """A copy of a model file whose meta.json went through ``edit(meta)``."""
    members = _members(content)
    meta = json.loads(members["meta.json"])
    edit(meta)
    members["meta.json"] = json.dumps(meta).encode()
    return _zip(members)


def _with_tensors(content: bytes, edit) -> bytes:
    members = _members(content)
    tensors = safetensors.torch.load(members["weights.safetensors"])
    edit(tensors)
    members["weights.safetensors"] = safetensors.torch.save(tensors)
    return _zip(members)


def _refusal(source) -> str:
    with pytest.raises(ModelFileError) as info:
        model_file.load(source)
    return str(info.value)


def _assert_same_model(loaded, original, X):
    assert np.array_equal(loaded.denoise(X), original.denoise(X))  # exact: same float32 weights, same ops
    assert np.array_equal(loaded.encode(X), original.encode(X))
    assert loaded.config == original.config
    assert loaded.feature_names == original.feature_names
    assert loaded.image_shape == original.image_shape
    assert loaded.history == original.history
    assert loaded.stop_reason == original.stop_reason
    assert loaded.scaler.kind == original.scaler.kind
    assert np.array_equal(loaded.scaler.offset_, original.scaler.offset_)
    assert np.array_equal(loaded.scaler.scale_, original.scaler.scale_)


# --- round trips -------------------------------------------------------------------------------------


def test_round_trip_through_bytes_reproduces_outputs(trained_and_data, good):
    trained, dataset = trained_and_data
    _assert_same_model(model_file.load(good), trained, dataset.X_test)


def test_round_trip_through_a_path(trained_and_data, tmp_path):
    trained, dataset = trained_and_data
    path = tmp_path / "model.dae"
    model_file.save(trained, path)
    _assert_same_model(model_file.load(path), trained, dataset.X_test)
    _assert_same_model(model_file.load(str(path)), trained, dataset.X_test)
    assert [p.name for p in tmp_path.iterdir()] == ["model.dae"]  # the partial file was renamed away


def test_round_trip_through_file_objects(trained_and_data, tmp_path):
    trained, dataset = trained_and_data
    buffer = io.BytesIO()
    model_file.save(trained, buffer)
    buffer.seek(0)
    _assert_same_model(model_file.load(buffer), trained, dataset.X_test)
    with open(tmp_path / "model.dae", "wb") as handle:
        model_file.save(trained, handle)
    with open(tmp_path / "model.dae", "rb") as handle:
        _assert_same_model(model_file.load(handle), trained, dataset.X_test)


@pytest.mark.parametrize(
    "changes",
    [
        {"tied_weights": True},
        {"hidden_layers": [16, 12]},
        {"hidden_layers": [16], "tied_weights": True, "activation": "tanh"},
    ],
)
def test_round_trip_of_other_architectures(changes):
    trained, dataset = _train(**changes)
    _assert_same_model(model_file.load(model_file.to_bytes(trained)), trained, dataset.X_test)


def test_round_trip_keeps_digits_image_shape_and_range_scaler():
    trained, dataset = _train(dataset="digits", epochs=1, hidden_dim=16)
    loaded = model_file.load(model_file.to_bytes(trained))
    _assert_same_model(loaded, trained, dataset.X_test[:50])
    assert loaded.image_shape == (8, 8, 1)
    assert loaded.scaler.bounded
    assert loaded.history[-1].test_psnr is not None


def test_round_trip_keeps_a_stop_reason_and_an_empty_history(trained):
    config = RunConfig().replace(n_samples=100, lr=1e6, optimizer="sgd")
    trainer = Trainer(config)
    list(trainer.epochs())
    stopped = trainer.result()
    assert stopped.stop_reason.startswith("Training stopped at epoch 1")
    loaded = model_file.load(model_file.to_bytes(stopped))
    assert loaded.stop_reason == stopped.stop_reason
    assert loaded.history == []


def test_an_early_stopped_model_reports_the_metrics_of_the_weights_it_kept():
    config = RunConfig().replace(n_samples=200, n_features=8, hidden_dim=3, epochs=200, patience=2, lr=0.05)
    trainer = Trainer(config)
    list(trainer.epochs())
    stopped = trainer.result()
    best = min(stopped.history, key=lambda record: record.test_mse)
    assert stopped.history[-1].epoch > best.epoch  # it trained past the best epoch, then went back to it
    noisy, *_ = trainer.evaluation_set()  # the fixed noisy test inputs behind every record's test MSE
    loaded = model_file.load(model_file.to_bytes(stopped))
    assert loaded.weights_epoch == best.epoch
    measured = float(np.mean((loaded.denoise(noisy.numpy()) - trainer.dataset.X_test) ** 2))
    summary = model_file.describe(loaded)
    assert summary["weights_epoch"] == best.epoch and summary["epochs"] == len(stopped.history)
    assert summary["test_mse"] == best.test_mse == pytest.approx(measured, rel=1e-5)


def test_a_file_without_weights_epoch_loads_as_holding_the_last_epoch(trained, good):
    loaded = model_file.load(_with_meta(good, lambda meta: meta.pop("weights_epoch")))
    assert loaded.weights_epoch is None
    assert loaded.kept_record == trained.history[-1]
    assert model_file.describe(loaded)["weights_epoch"] == trained.history[-1].epoch


@pytest.mark.parametrize("value", [[1], 1.0, True, 99, -1, "2"])
def test_a_bad_weights_epoch_is_refused(good, value):
    message = _refusal(_with_meta(good, lambda meta: meta.update(weights_epoch=value)))
    assert message == (
        f"'weights_epoch' in the model file must be null, 0 or an epoch of the history. Got {value!r} instead. "
        "Save the model again."
    )


def test_the_same_model_always_gives_the_same_bytes(trained, good):
    assert model_file.to_bytes(trained) == good
    assert model_file.to_bytes(model_file.load(good)) == good


def test_file_holds_exactly_the_two_documented_members(good):
    members = _members(good)
    assert sorted(members) == ["meta.json", "weights.safetensors"]
    meta = json.loads(members["meta.json"])
    assert meta["format"] == "dae-lab-model"
    assert meta["version"] == 1
    assert sorted(meta) == sorted(
        ["format", "version", "config", "scaler", "feature_names", "image_shape", "history", "stop_reason"]
        + ["weights_epoch"]
    )
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}


def test_loading_never_unpickles(good, monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise AssertionError("a model file must never be unpickled")

    for module, name in [(pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"), (torch, "load"), (np, "load")]:
        monkeypatch.setattr(module, name, refuse)
    path = tmp_path / "model.dae"
    path.write_bytes(good)
    assert model_file.load(path).history
    assert model_file.load(good).history


def test_loading_leaves_torchs_global_random_stream_alone(good):
    before = torch.random.get_rng_state()
    model_file.load(good)
    assert torch.equal(torch.random.get_rng_state(), before)


# --- describe ----------------------------------------------------------------------------------------


def test_describe_is_json_safe_and_matches_the_model(trained):
    summary = model_file.describe(trained)
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary
    assert summary["config"] == trained.config.to_dict()
    assert summary["input_dim"] == 20
    assert summary["hidden_dim"] == 8
    assert summary["n_parameters"] == 20 * 8 + 8 + 8 * 20 + 20
    assert summary["epochs"] == 2
    last = trained.history[-1]
    assert (summary["test_mse"], summary["identity_mse"], summary["pca_mse"]) == (
        last.test_mse,
        last.identity_mse,
        last.pca_mse,
    )
    assert summary["stop_reason"] == ""
    assert [(layer["name"], layer["weight_shape"], layer["activation"]) for layer in summary["layers"]] == [
        ("encoder.0", [8, 20], "leaky_relu"),
        ("decoder.0", [20, 8], "identity"),
    ]


def test_describe_tied_layers_and_no_history():
    trained, _ = _train(hidden_layers=[12], tied_weights=True)
    trained.history = []
    summary = model_file.describe(trained)
    assert summary["n_parameters"] == sum(p.numel() for p in trained.model.parameters())
    assert [(layer["name"], layer["weight_shape"], layer["tied_to"]) for layer in summary["layers"]] == [
        ("encoder.0", [12, 20], None),
        ("encoder.1", [8, 12], None),
        ("decoder.0", [12, 8], "encoder.1 (transposed)"),
        ("decoder.1", [20, 12], "encoder.0 (transposed)"),
    ]
    assert summary["epochs"] == 0
    assert summary["test_mse"] is None


@pytest.mark.parametrize("tied", [False, True])
def test_describe_gives_a_conv_models_layers_as_flat_sizes_and_kernel_shapes(tied):
    from dae_core import RunConfig, Trainer

    trainer = Trainer(RunConfig().replace(dataset="digits", architecture="conv", conv_channels=(8,), code_channels=4,
                                          tied_weights=tied, epochs=1))  # fmt: skip
    list(trainer.epochs())
    summary = model_file.describe(trainer.result())
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary
    # 8x8x1 pixels -> 8 channels of 4x4 (stride 2) -> a code of 4 channels of 4x4, and back
    assert [(layer["name"], layer["in_features"], layer["out_features"], layer["weight_shape"], layer["activation"])
            for layer in summary["layers"]] == [
        ("encoder.0", 64, 128, [8, 1, 3, 3], "leaky_relu"),
        ("encoder.1", 128, 64, [4, 8, 3, 3], "leaky_relu"),
        ("decoder.0", 64, 128, [4, 8, 3, 3], "leaky_relu"),
        ("decoder.1", 128, 64, [8, 1, 3, 3], "identity"),  # a conv model's 'auto' output: identity
    ]  # fmt: skip
    assert summary["hidden_dim"] == 64 and summary["image_shape"] == [8, 8, 1]


# --- refusals: not a model file ------------------------------------------------------------------------


def test_missing_path_is_refused(tmp_path):
    path = tmp_path / "absent.dae"
    assert _refusal(path) == f"Model file '{path}' does not exist. Check the path. {MAKE_ONE}"


def test_directory_is_refused(tmp_path):
    assert _refusal(tmp_path) == (
        f"Model file '{tmp_path}' is not a file (it is a directory or a device). Give the path of a .dae file."
    )


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.dae"
    path.write_bytes(b"")
    assert _refusal(path) == f"Model file '{path}' is empty (0 bytes): it was not written completely. {MAKE_ONE}"
    assert _refusal(b"") == f"The model file is empty (0 bytes): it was not written completely. {MAKE_ONE}"


def test_torch_save_file_is_refused(trained, tmp_path):
    path = tmp_path / "model.pt"
    torch.save(trained.model.state_dict(), path)  # a zip whose archive/data.pkl is a pickle
    assert _refusal(path) == f"Model file '{path}' {PICKLE_REFUSED}"


def test_legacy_torch_save_file_is_refused(trained):
    buffer = io.BytesIO()
    torch.save(trained.model.state_dict(), buffer, _use_new_zipfile_serialization=False)  # a bare pickle stream
    assert _refusal(buffer.getvalue()) == f"The model file {PICKLE_REFUSED}"


def test_raw_pickle_file_is_refused(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"weights": [1.0, 2.0]}))
    assert _refusal(path) == f"Model file '{path}' {PICKLE_REFUSED}"


def test_zip_with_a_pickle_member_is_refused(good):
    members = _members(good)
    members["extra.pkl"] = pickle.dumps(1)
    assert _refusal(_zip(members)) == f"The model file {PICKLE_REFUSED}"


def test_garbage_bytes_are_refused():
    expected = f"The model file is not a DAE model file (it is not a zip archive). {MAKE_ONE}"
    assert _refusal(b"hello, this is not a model") == expected
    assert _refusal(pickle.dumps([1], protocol=0)) == expected  # old text pickles: still never opened


def test_truncated_zip_is_refused(good):
    assert _refusal(good[: len(good) // 2]) == (
        "The model file is a damaged or truncated zip archive (File is not a zip file). "
        "Copy or download it again, or save the model again."
    )


def test_file_object_uses_its_name_in_messages(tmp_path):
    path = tmp_path / "upload.dae"
    path.write_bytes(b"not a zip")
    with open(path, "rb") as handle:
        assert _refusal(handle) == (
            f"Model file '{path}' is not a DAE model file (it is not a zip archive). {MAKE_ONE}"
        )


def test_wrong_source_types_are_programming_errors(tmp_path):
    with pytest.raises(TypeError, match=r"^load\(\) takes a path, bytes or a binary file object. Got int instead.$"):
        model_file.load(3)
    path = tmp_path / "model.dae"
    path.write_bytes(b"x")
    with open(path) as handle, pytest.raises(TypeError, match=r"binary mode"):
        model_file.load(handle)


# --- refusals: the archive -----------------------------------------------------------------------------


def test_zip_with_wrong_members_is_refused(good):
    members = _members(good)
    wrong = _zip({"meta.json": members["meta.json"], "notes.txt": b"hi"})
    assert _refusal(wrong) == (
        "The model file must hold exactly the members 'meta.json' and 'weights.safetensors', but it holds "
        "'meta.json', 'notes.txt' (missing 'weights.safetensors'; unexpected 'notes.txt'). "
        f"It was not written by dae_core. {MAKE_ONE}"
    )
    assert _refusal(_zip({})) == (
        "The model file must hold exactly the members 'meta.json' and 'weights.safetensors', but it holds "
        f"nothing (missing 'meta.json', 'weights.safetensors'). It was not written by dae_core. {MAKE_ONE}"
    )


def test_zip_with_a_repeated_member_is_refused(good):
    members = _members(good)
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = _zip([("meta.json", members["meta.json"]), *members.items()])
    assert _refusal(twice) == (
        "The model file must hold exactly the members 'meta.json' and 'weights.safetensors', but it holds "
        "'meta.json', 'meta.json', 'weights.safetensors' (repeated 'meta.json'). "
        f"It was not written by dae_core. {MAKE_ONE}"
    )


def _declare_size(content: bytes, member: str, size: int) -> bytes:
    """Rewrite the uncompressed size that the central directory declares for ``member``."""
    data = bytearray(content)
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) >= 0:
        name_length = struct.unpack("<H", data[start + 28 : start + 30])[0]
        if data[start + 46 : start + 46 + name_length].decode() == member:
            data[start + 24 : start + 28] = struct.pack("<I", size)
            return bytes(data)
        start += 4
    raise AssertionError(f"{member} not found")


def test_member_declaring_a_huge_size_is_refused_before_unpacking(good):
    bomb = _declare_size(good, "weights.safetensors", 600 * 2**20)
    assert _refusal(bomb) == (
        "The model file unpacks to more than the 512 MB limit (member 'weights.safetensors' alone is 600 MB). "
        f"It is not a DAE model file. {MAKE_ONE}"
    )


def test_member_lying_about_a_small_size_is_refused(good):
    assert _refusal(_declare_size(good, "meta.json", 10)) == (
        "Member 'meta.json' of the model file could not be unpacked (Bad CRC-32 for file 'meta.json'): "
        "the file is damaged. Copy or download it again, or save the model again."
    )


# --- refusals: meta.json -------------------------------------------------------------------------------


def test_meta_that_is_not_json_is_refused(good):
    members = _members(good)
    members["meta.json"] = b"{not json"
    assert _refusal(_zip(members)) == (
        "meta.json in the model file is not valid JSON (Expecting property name enclosed in double quotes "
        "at line 1): the file is damaged. Save the model again."
    )


def test_meta_that_is_not_an_object_is_refused(good):
    members = _members(good)
    members["meta.json"] = b"[1, 2]"
    assert _refusal(_zip(members)) == (
        "meta.json in the model file must be a JSON object. Got list instead. Save the model again."
    )


def test_wrong_format_tag_is_refused(good):
    wrong = _with_meta(good, lambda meta: meta.update(format="keras"))
    assert _refusal(wrong) == (
        f"meta.json in the model file has format 'keras'; a DAE model file has format 'dae-lab-model'. {MAKE_ONE}"
    )


def test_newer_format_version_is_refused(good):
    wrong = _with_meta(good, lambda meta: meta.update(version=2))
    assert _refusal(wrong) == (
        "meta.json in the model file has format version 2; this dae_core reads version 1. "
        "Load it with the dae_core that wrote it, or train and save the model again."
    )


def test_missing_and_unexpected_meta_keys_are_refused(good):
    def edit(meta):
        del meta["history"]
        meta["extra"] = 1

    assert _refusal(_with_meta(good, edit)) == (
        "meta.json in the model file has wrong keys (missing 'history'; unexpected 'extra'). Save the model again."
    )


def test_invalid_config_is_refused_with_the_config_error(good):
    wrong = _with_meta(good, lambda meta: meta["config"]["model"].update(hidden_dim=0, activation="swish"))
    assert _refusal(wrong) == (
        "The config in the model file is invalid: "
        "The 'hidden_dim' parameter of ModelConfig must be an int in [1, 4096]. Got 0 instead.\n"
        "The 'activation' parameter of ModelConfig must be one of 'relu', 'tanh', 'sigmoid', 'gelu', 'elu', "
        "'leaky_relu', 'identity'. Got 'swish' instead. Save the model again."
    )


def test_scaler_of_the_wrong_length_is_refused(good):
    def edit(meta):
        meta["scaler"]["offset"] = meta["scaler"]["offset"][:5]
        meta["scaler"]["scale"] = meta["scaler"]["scale"][:5]

    assert _refusal(_with_meta(good, edit)) == (
        "The scaler in the model file has 5 columns, but the model has 20 features. Save the model again."
    )


def test_malformed_scaler_is_refused(good):
    wrong = _with_meta(good, lambda meta: meta["scaler"].update(kind="minmax"))
    assert _refusal(wrong) == (
        "The scaler in the model file is invalid (it must be an object with 'kind' ('standard' or 'range'), "
        "'offset' and 'scale'). Save the model again."
    )
    wrong = _with_meta(good, lambda meta: meta["scaler"].pop("scale"))
    assert _refusal(wrong) == "The scaler in the model file is invalid ('scale' is missing). Save the model again."


def test_bad_feature_names_and_image_shape_are_refused(good):
    wrong = _with_meta(good, lambda meta: meta.update(feature_names="x0"))
    assert _refusal(wrong) == (
        "'feature_names' in the model file must be a non-empty list of strings. Save the model again."
    )
    wrong = _with_meta(good, lambda meta: meta.update(image_shape=[4, 4]))
    assert _refusal(wrong) == (
        "'image_shape' in the model file must be null or [height, width, channels] with height × width × channels "
        "= 20 (the number of features). Got [4, 4] instead. Save the model again."
    )


def test_bad_history_is_refused(good):
    def lacking(meta):
        del meta["history"][1]["test_mse"], meta["history"][1]["lr"]

    def bad_value(meta):
        meta["history"][0]["test_mse"] = "low"

    cases = [
        (lambda meta: meta.update(history={"epoch": 1}), "it must be a list of epoch records, not dict"),
        (lambda meta: meta["history"].append(3), "entry 3 is int, not an object"),
        (lacking, "entry 2 lacks 'test_mse', 'lr'"),
        (bad_value, "entry 1 has test_mse='low', not a number"),
    ]
    for edit, detail in cases:
        assert _refusal(_with_meta(good, edit)) == (
            f"The training history in the model file is invalid ({detail}). Save the model again."
        )


# --- refusals: weights ---------------------------------------------------------------------------------


def test_weights_that_are_not_safetensors_are_refused(good):
    members = _members(good)
    members["weights.safetensors"] = b"\x00" * 16
    try:
        safetensors.torch.load(b"\x00" * 16)
    except Exception as exc:  # the library's own words, embedded in ours
        reason = str(exc)
    assert _refusal(_zip(members)) == (
        f"'weights.safetensors' in the model file is not a valid safetensors file ({reason}). Save the model again."
    )


def test_weights_of_the_wrong_shape_are_refused(good):
    wrong = _with_meta(good, lambda meta: meta["config"]["model"].update(hidden_dim=4))
    assert _refusal(wrong) == (
        "Tensor 'encoder.0.weight' in the model file has shape (8, 20), but the model its config describes "
        "(input_dim=20, hidden_layers=[], hidden_dim=4, tied_weights=False) expects (4, 20). Save the model again."
    )
    wrong = _with_tensors(good, lambda tensors: tensors.update({"decoder.0.bias": torch.zeros(19)}))
    assert _refusal(wrong) == (
        "Tensor 'decoder.0.bias' in the model file has shape (19,), but the model its config describes "
        "(input_dim=20, hidden_layers=[], hidden_dim=8, tied_weights=False) expects (20,). Save the model again."
    )


def test_weights_with_wrong_names_are_refused(good):
    wrong = _with_meta(good, lambda meta: meta["config"]["model"].update(tied_weights=True))
    assert _refusal(wrong) == (
        "The weights in the model file do not match the model its config describes "
        "(input_dim=20, hidden_layers=[], hidden_dim=8, tied_weights=True): missing 'decoder_bias.0'; "
        "unexpected 'decoder.0.bias', 'decoder.0.weight'. Save the model again."
    )


def test_non_finite_weights_are_refused(good):
    def poison(tensors):
        tensors["encoder.0.weight"][0, :3] = torch.tensor([float("nan"), float("inf"), -float("inf")])

    assert _refusal(_with_tensors(good, poison)) == (
        "Tensor 'encoder.0.weight' in the model file holds 3 non-finite value(s) (NaN or infinity). "
        "Train again with a lower learning rate and save the new model."
    )


def test_weights_of_another_dtype_are_refused(good):
    wrong = _with_tensors(good, lambda tensors: tensors.update({"encoder.0.bias": tensors["encoder.0.bias"].double()}))
    assert _refusal(wrong) == (
        "Tensor 'encoder.0.bias' in the model file is float64; model files hold float32. Save the model again."
    )


# --- sizes declared by the file are checked before anything is allocated for them ---------------------


def _meta_with(content: bytes, **model_changes) -> bytes:
    members = _members(content)
    meta = json.loads(members["meta.json"])
    meta["config"]["model"].update(model_changes)
    members["meta.json"] = json.dumps(meta).encode()
    return _zip(members)


def test_a_model_past_the_parameter_limit_is_refused_before_it_is_built(good):
    # 20 features, 8 layers of 4096, code 8: 2 × (20·4096 + 7·4096² + 4096·8) weights + (8·4096 + 8) + (20 + 8·4096)
    # biases = 235,175,964 parameters, 0.9 GB, asked for by a file of a few KB
    huge = _meta_with(good, hidden_layers=[4096] * 8)
    with pytest.raises(ModelFileError) as info:
        model_file.load(huge, max_parameters=5_000_000)
    assert str(info.value) == (
        "The model file holds a model with 235,175,964 parameters; the limit here is 5,000,000. Train a smaller "
        "model (a smaller code size, fewer or narrower hidden layers) and export it again."
    )


def test_a_weights_member_larger_than_its_model_is_refused_unread(good):
    members = _members(good)
    members["weights.safetensors"] = bytes(5 * 2**20)  # 5 MB of zeros, a few KB once zipped
    with pytest.raises(ModelFileError) as info:
        model_file.load(_zip(members))
    assert str(info.value) == (
        "Member 'weights.safetensors' of the model file is 5.0 MB, more than the 1.0 MB that the model it "
        f"describes can take: the file is damaged or was not written by dae_core. {model_file.MAKE_ONE}"
    )


def test_a_config_past_its_weights_is_refused_before_the_model_is_built_even_without_a_limit(good, trained):
    """A few KB whose config asks for 8 × 4096 layers: refused from the weights' size, before 0.9 GB is allocated
    for a model (``inspect`` passes no parameter limit)."""
    held = sum(parameter.numel() for parameter in trained.model.parameters())  # 20 → 8 → 20: 2·160 + 8 + 20 = 348
    assert held == 348
    assert _refusal(_meta_with(good, hidden_layers=[4096] * 8)) == (
        "The weights in the model file hold 348 numbers, but the model its config describes has 235,175,964 "
        f"parameters: the file is damaged or was not written by dae_core. {model_file.MAKE_ONE}"
    )


def test_a_file_of_a_few_members_too_many_is_refused_naming_them(good):
    members = [(f"m{i}", b"") for i in range(20)] + list(_members(good).items())
    message = _refusal(_zip(members))
    assert message.startswith(
        "The model file must hold exactly the members 'meta.json' and 'weights.safetensors', but it holds 'm0', 'm1'"
    )
    assert "unexpected 'm0', 'm1'" in message and message.endswith(
        f"It was not written by dae_core. {model_file.MAKE_ONE}"
    )


def test_a_file_of_many_members_is_refused_from_its_end_record_before_they_are_listed(good, monkeypatch):
    members = [(f"m{i}", b"") for i in range(20_000)] + list(_members(good).items())
    content = _zip(members)
    zip64 = _zip([(f"m{i}", b"") for i in range(70_000)])  # past 65,535: the count is in the ZIP64 record
    monkeypatch.setattr(model_file.zipfile, "ZipFile", None)  # never built: the 22-byte end record decides
    assert _refusal(content) == (
        "The model file holds 20,002 members; a DAE model file holds exactly two, 'meta.json' and "
        f"'weights.safetensors'. It was not written by dae_core. {model_file.MAKE_ONE}"
    )
    assert _refusal(zip64).startswith("The model file holds 70,000 members;")


def test_metadata_nested_thousands_deep_is_refused_with_a_message(good):
    members = _members(good)
    members["meta.json"] = b"[" * 200_000 + b"]" * 200_000
    assert _refusal(_zip(members)) == (
        "meta.json in the model file nests its JSON thousands of levels deep; a model's metadata nests a few. It was "
        f"not written by dae_core. {model_file.MAKE_ONE}"
    )
