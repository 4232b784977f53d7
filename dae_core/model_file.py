"""Saving and loading one trained model as a single file: a zip of safetensors weights plus JSON metadata.

Nothing here ever unpickles. Weights go through safetensors (a header plus raw bytes) and everything
else through JSON, so loading a file cannot run code. Pickle-based files (``torch.save``, ``.pt``,
``.pkl``) are recognised and refused with a message that says how to make a proper file.

A model file (suggested extension ``.dae``) holds exactly two members:

- ``weights.safetensors``: the model's ``state_dict``, float32 tensors;
- ``meta.json``: ``{"format": "dae-lab-model", "version": 1, "config", "scaler", "feature_names",
  "image_shape", "history", "stop_reason", "weights_epoch"}``. ``weights_epoch`` (the epoch whose weights the
  file holds: the best one after early stopping) is optional; without it, the last epoch of the history.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import json
import math
import os
import struct
import zipfile
from typing import Any, BinaryIO

import numpy as np
import safetensors.torch
import torch

from .config import RunConfig
from .data import Scaler
from .errors import ConfigError, DataError, ModelFileError
from .model import DenoisingAutoencoder, parameter_count, resolve_output_activation
from .training import EpochRecord, TrainedModel

FORMAT = "dae-lab-model"
VERSION = 1
WEIGHTS_MEMBER = "weights.safetensors"
META_MEMBER = "meta.json"
MEMBERS = (META_MEMBER, WEIGHTS_MEMBER)
META_KEYS = ("format", "version", "config", "scaler", "feature_names", "image_shape", "history", "stop_reason")
OPTIONAL_META_KEYS = ("weights_epoch",)  # files from before it was written load with None: the last epoch
MAX_UNPACKED_BYTES = 512 * 2**20  # all members together, checked before anything is decompressed
MAX_META_BYTES = 32 * 2**20  # config, scaler and history: 10,000 epochs of history take about 3 MB
SAFETENSORS_HEADER_BYTES = 2**20  # the weights member beyond its float32 data: a JSON header naming a few tensors
MAX_LISTED_MEMBERS = 64  # past this, the zip's end record alone refuses it: listing 100,000 members costs ~80 MB
MAX_FILE_BYTES = MAX_UNPACKED_BYTES + 2**20  # deflate never grows data by more than a few bytes per block
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: the same model always gives the same bytes

MAKE_ONE = (
    "Make a model file with `python -m dae_core train --save model.dae` or `dae_core.model_file.save(trained, path)`."
)
PICKLE_REFUSED = (
    "{Label} is a pickle-based file (e.g. torch.save / .pt / .pkl). Pickle-based files are never loaded "
    "because they can run code. " + MAKE_ONE
)


# --- saving ------------------------------------------------------------------------------------------


def _meta(trained: TrainedModel) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "config": trained.config.to_dict(),
        "scaler": trained.scaler.to_dict(),
        "feature_names": [str(name) for name in trained.feature_names],
        "image_shape": list(trained.image_shape) if trained.image_shape else None,
        "history": [record.to_dict() for record in trained.history],
        "stop_reason": trained.stop_reason,
        "weights_epoch": trained.weights_epoch,
    }


def to_bytes(trained: TrainedModel) -> bytes:
    """The model file's content. The same model gives the same bytes (fixed member timestamps)."""
    # clone: safetensors refuses tensors that share storage, and wants them contiguous on the CPU
    tensors = {name: t.detach().to("cpu", torch.float32).contiguous().clone() for name, t in _state(trained).items()}
    weights = safetensors.torch.save(tensors)
    meta = json.dumps(_meta(trained), indent=1).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in ((META_MEMBER, meta), (WEIGHTS_MEMBER, weights)):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def save(trained: TrainedModel, path_or_filelike: str | os.PathLike | BinaryIO) -> None:
    """Write ``trained`` to a path (replaced atomically, so a crash never leaves half a file) or a binary file."""
    content = to_bytes(trained)
    if isinstance(path_or_filelike, (str, os.PathLike)):
        path = os.fspath(path_or_filelike)
        partial = f"{path}.partial"
        try:
            with open(partial, "wb") as handle:
                handle.write(content)
            os.replace(partial, path)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise
    else:
        path_or_filelike.write(content)


def _state(trained: TrainedModel) -> dict[str, torch.Tensor]:
    return dict(trained.model.state_dict())


# --- loading -----------------------------------------------------------------------------------------


def _read_source(source) -> tuple[bytes, str]:
    """The raw bytes of ``source`` and a label for messages ("model file 'x.dae'" or "the model file")."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        label = f"model file '{path}'"
        if not os.path.exists(path):
            raise ModelFileError(f"{_cap(label)} does not exist. Check the path. {MAKE_ONE}")
        if not os.path.isfile(path):
            raise ModelFileError(
                f"{_cap(label)} is not a file (it is a directory or a device). Give the path of a .dae file."
            )
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise ModelFileError(_too_large(label, os.path.getsize(path)))
        try:
            with open(path, "rb") as handle:
                return handle.read(), label
        except OSError as exc:
            raise ModelFileError(f"{_cap(label)} could not be read ({exc.strerror}). Check its permissions.") from None
    if isinstance(source, (bytes, bytearray, memoryview)):
        content = bytes(source)
        label = "the model file"
    elif hasattr(source, "read"):
        name = getattr(source, "name", None)
        label = f"model file '{name}'" if isinstance(name, str) and name else "the model file"
        content = source.read(MAX_FILE_BYTES + 1)
        if not isinstance(content, (bytes, bytearray)):
            raise TypeError("load() needs a file opened in binary mode ('rb'), not text mode.")
        content = bytes(content)
    else:
        raise TypeError(f"load() takes a path, bytes or a binary file object. Got {type(source).__name__} instead.")
    if len(content) > MAX_FILE_BYTES:
        raise ModelFileError(_too_large(label, len(content)))
    return content, label


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _too_large(label: str, size: int) -> str:
    return (
        f"{_cap(label)} is {size / 2**20:.0f} MB, more than the {MAX_UNPACKED_BYTES // 2**20} MB limit for a "
        f"model file. It is not a DAE model file. {MAKE_ONE}"
    )


def _open_archive(content: bytes, label: str) -> zipfile.ZipFile:
    if not content:
        raise ModelFileError(f"{_cap(label)} is empty (0 bytes): it was not written completely. {MAKE_ONE}")
    if content[:1] == b"\x80":  # pickle protocol 2+ opcode PROTO, the start of every modern pickle
        raise ModelFileError(PICKLE_REFUSED.format(Label=_cap(label)))
    if not content.startswith(b"PK"):
        raise ModelFileError(f"{_cap(label)} is not a DAE model file (it is not a zip archive). {MAKE_ONE}")
    members = _declared_members(content)
    if members is not None and members > MAX_LISTED_MEMBERS:
        raise ModelFileError(
            f"{_cap(label)} holds {members:,} members; a DAE model file holds exactly two, 'meta.json' and "
            f"'weights.safetensors'. It was not written by dae_core. {MAKE_ONE}"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ModelFileError(
            f"{_cap(label)} is a damaged or truncated zip archive ({exc}). "
            "Copy or download it again, or save the model again."
        ) from None
    return archive


def _declared_members(content: bytes) -> int | None:
    """How many members the zip's end-of-central-directory record declares (the 22 bytes at its end, before any
    comment, and for 65,535 or more the ZIP64 record it points to), read before ``zipfile`` builds an object per
    member; None when the records are not found (``zipfile`` then says what is wrong)."""
    end = len(content) - 22  # the record as zipfile finds it: at the very end, else the last one with room after it
    if content[end : end + 4] != b"PK\x05\x06":
        end = content.rfind(b"PK\x05\x06", max(0, len(content) - 22 - 0xFFFF), len(content) - 18)
    if end < 0:
        return None
    total = struct.unpack_from("<H", content, end + 10)[0]
    if total != 0xFFFF:
        return total
    locator = end - 20  # ZIP64: the locator just before the record gives the ZIP64 record's offset
    if locator < 0 or content[locator : locator + 4] != b"PK\x06\x07":
        return total
    (offset,) = struct.unpack_from("<Q", content, locator + 8)
    if offset + 56 > len(content) or content[offset : offset + 4] != b"PK\x06\x06":
        return total
    return struct.unpack_from("<Q", content, offset + 32)[0]


def _check_members(archive: zipfile.ZipFile, label: str) -> None:
    """Exactly the two members, unencrypted, within the unpacked-size limit; linear in the number of members (a file
    of 100,000 names is refused as fast as it is listed)."""
    names = archive.namelist()
    if any(name.endswith(".pkl") for name in names):
        raise ModelFileError(PICKLE_REFUSED.format(Label=_cap(label)))
    duplicated = sorted(name for name, count in collections.Counter(names).items() if count > 1)[:8]
    missing = [name for name in MEMBERS if name not in names]
    unexpected = sorted(set(names) - set(MEMBERS))
    if duplicated or missing or unexpected:
        found = ", ".join(repr(n) for n in names[:8]) + (", ..." if len(names) > 8 else "") if names else "nothing"
        problems = [f"missing {', '.join(map(repr, missing))}" if missing else ""]
        problems.append(f"unexpected {', '.join(map(repr, unexpected[:8]))}" if unexpected else "")
        problems.append(f"repeated {', '.join(map(repr, duplicated))}" if duplicated else "")
        raise ModelFileError(
            f"{_cap(label)} must hold exactly the members 'meta.json' and 'weights.safetensors', but it holds {found} "
            f"({'; '.join(p for p in problems if p)}). It was not written by dae_core. {MAKE_ONE}"
        )
    total = 0
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise ModelFileError(
                f"{_cap(label)} has an encrypted member '{info.filename}'. Save the model again unencrypted."
            )
        total += info.file_size  # the declared size; reads below are capped to it, so a lying header cannot bomb
        if total > MAX_UNPACKED_BYTES:
            raise ModelFileError(
                f"{_cap(label)} unpacks to more than the {MAX_UNPACKED_BYTES // 2**20} MB limit "
                f"(member '{info.filename}' alone is {info.file_size / 2**20:.0f} MB). It is not a DAE model file. "
                + MAKE_ONE
            )


def _read_member(archive: zipfile.ZipFile, name: str, label: str, limit: int) -> bytes:
    """A member's bytes; refused unread when it declares more than ``limit`` bytes (reads stop there too)."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise ModelFileError(
            f"Member '{name}' of {label} is {info.file_size / 2**20:.1f} MB, more than the "
            f"{limit / 2**20:.1f} MB that the model it describes can take: the file is damaged or was not written "
            f"by dae_core. {MAKE_ONE}"
        )
    try:
        with archive.open(info) as handle:
            return handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise ModelFileError(
            f"Member '{name}' of {label} could not be unpacked ({exc}): the file is damaged. "
            "Copy or download it again, or save the model again."
        ) from None


def _parse_meta(raw: bytes, label: str) -> dict[str, Any]:
    where = f"meta.json in {label}"
    try:
        meta = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ModelFileError(f"{where} is not UTF-8 text: the file is damaged. Save the model again.") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{where} is not valid JSON ({exc.msg} at line {exc.lineno}): the file is damaged. Save the model again."
        ) from None
    except RecursionError:  # a model's metadata nests a few levels; thousands of brackets are not one
        raise ModelFileError(
            f"{where} nests its JSON thousands of levels deep; a model's metadata nests a few. It was not written "
            f"by dae_core. {MAKE_ONE}"
        ) from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{where} must be a JSON object. Got {type(meta).__name__} instead. Save the model again.")
    if meta.get("format") != FORMAT:
        raise ModelFileError(
            f"{where} has format {meta.get('format')!r}; a DAE model file has format {FORMAT!r}. {MAKE_ONE}"
        )
    if meta.get("version") != VERSION:
        raise ModelFileError(
            f"{where} has format version {meta.get('version')!r}; this dae_core reads version {VERSION}. "
            "Load it with the dae_core that wrote it, or train and save the model again."
        )
    missing = [key for key in META_KEYS if key not in meta]
    unexpected = sorted(set(meta) - set(META_KEYS) - set(OPTIONAL_META_KEYS))
    if missing or unexpected:
        problems = [f"missing {', '.join(map(repr, missing))}" if missing else ""]
        problems.append(f"unexpected {', '.join(map(repr, unexpected))}" if unexpected else "")
        raise ModelFileError(f"{where} has wrong keys ({'; '.join(p for p in problems if p)}). Save the model again.")
    return meta


def _parse_parts(meta: dict[str, Any], label: str):
    """(config, scaler, feature_names, image_shape, history, stop_reason, weights_epoch) from validated metadata."""
    where = label
    try:
        config = RunConfig.from_dict(meta["config"])
    except ConfigError as exc:
        raise ModelFileError(f"The config in {where} is invalid: {exc} Save the model again.") from None

    names = meta["feature_names"]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ModelFileError(f"'feature_names' in {where} must be a non-empty list of strings. Save the model again.")
    input_dim = len(names)

    image_shape = meta["image_shape"]
    if image_shape is not None:
        valid = isinstance(image_shape, list) and len(image_shape) in (2, 3)  # files before channels hold 2
        valid = valid and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in image_shape)
        if not valid or math.prod(image_shape) != input_dim:
            raise ModelFileError(
                f"'image_shape' in {where} must be null or [height, width, channels] with height × width × channels "
                f"= {input_dim} (the number of features). Got {image_shape!r} instead. Save the model again."
            )
        image_shape = (*image_shape, 1)[:3]

    scaler_data = meta["scaler"]
    try:
        if not isinstance(scaler_data, dict) or scaler_data.get("kind") not in ("standard", "range"):
            raise DataError("it must be an object with 'kind' ('standard' or 'range'), 'offset' and 'scale'")
        scaler = Scaler.from_dict(scaler_data)
    except (DataError, KeyError, TypeError, ValueError) as exc:
        detail = f"'{exc.args[0]}' is missing" if isinstance(exc, KeyError) else str(exc).rstrip(".")
        raise ModelFileError(f"The scaler in {where} is invalid ({detail}). Save the model again.") from None
    if len(scaler.offset_) != input_dim:
        raise ModelFileError(
            f"The scaler in {where} has {len(scaler.offset_)} columns, but the model has {input_dim} features. "
            "Save the model again."
        )
    if not (np.isfinite(scaler.offset_).all() and np.isfinite(scaler.scale_).all() and (scaler.scale_ != 0).all()):
        raise ModelFileError(f"The scaler in {where} holds non-finite or zero scale values. Save the model again.")

    history_data = meta["history"]
    try:
        if not isinstance(history_data, list):
            raise TypeError(f"it must be a list of epoch records, not {type(history_data).__name__}")
        history = [_parse_record(i, record) for i, record in enumerate(history_data)]
    except TypeError as exc:
        raise ModelFileError(f"The training history in {where} is invalid ({exc}). Save the model again.") from None

    stop_reason = meta["stop_reason"]
    if not isinstance(stop_reason, str):
        raise ModelFileError(f"'stop_reason' in {where} must be a string. Got {stop_reason!r} instead.")

    weights_epoch = meta.get("weights_epoch")
    epochs = {record.epoch for record in history} | {0}
    if weights_epoch is not None and not (type(weights_epoch) is int and weights_epoch in epochs):
        raise ModelFileError(
            f"'weights_epoch' in {where} must be null, 0 or an epoch of the history. Got {weights_epoch!r} instead. "
            "Save the model again."
        )
    return config, scaler, names, image_shape, history, stop_reason, weights_epoch


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parse_record(index: int, data) -> EpochRecord:
    """One history entry; a wrong entry raises TypeError naming it (older files may lack optional fields)."""
    if not isinstance(data, dict):
        raise TypeError(f"entry {index + 1} is {type(data).__name__}, not an object")
    fields = dataclasses.fields(EpochRecord)
    missing = [f.name for f in fields if f.name not in data and f.default is dataclasses.MISSING]
    if missing:
        raise TypeError(f"entry {index + 1} lacks {', '.join(map(repr, missing))}")
    record = EpochRecord.from_dict(data)
    for name, value in dataclasses.asdict(record).items():
        optional = name in ("test_psnr", "gaussian_blur_mse", "median_mse", "nl_means_mse")  # image data only
        if not (_is_number(value) or (optional and value is None)):
            raise TypeError(f"entry {index + 1} has {name}={value!r}, not a number")
    return record


def _shape(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _read_tensors(raw: bytes, label: str) -> dict[str, torch.Tensor]:
    """The weights member's tensors (no larger than the member, which was capped when it was read)."""
    try:
        return safetensors.torch.load(raw)
    except Exception as exc:  # safetensors raises its own SafetensorError, plus KeyError for unknown dtypes
        raise ModelFileError(
            f"'weights.safetensors' in {label} is not a valid safetensors file ({exc}). Save the model again."
        ) from None


def _parse_weights(
    tensors: dict[str, torch.Tensor], model: DenoisingAutoencoder, label: str
) -> dict[str, torch.Tensor]:
    where = label
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    missing = [name for name in expected if name not in tensors]
    unexpected = sorted(set(tensors) - set(expected))
    described = (
        f"input_dim={model.input_dim}, hidden_layers={list(model.hidden_layers)}, hidden_dim={model.hidden_dim}, "
        f"tied_weights={model.tied_weights}"
    )
    if missing or unexpected:
        problems = [f"missing {', '.join(map(repr, missing))}" if missing else ""]
        problems.append(f"unexpected {', '.join(map(repr, unexpected))}" if unexpected else "")
        raise ModelFileError(
            f"The weights in {where} do not match the model its config describes ({described}): "
            f"{'; '.join(p for p in problems if p)}. Save the model again."
        )
    for name, shape in expected.items():
        tensor = tensors[name]
        if tuple(tensor.shape) != shape:
            raise ModelFileError(
                f"Tensor '{name}' in {where} has shape {_shape(tensor.shape)}, but the model its config describes "
                f"({described}) expects {_shape(shape)}. Save the model again."
            )
        if tensor.dtype != torch.float32:
            raise ModelFileError(
                f"Tensor '{name}' in {where} is {str(tensor.dtype).replace('torch.', '')}; model files hold float32. "
                "Save the model again."
            )
        bad = int((~torch.isfinite(tensor)).sum())
        if bad:
            raise ModelFileError(
                f"Tensor '{name}' in {where} holds {bad} non-finite value(s) (NaN or infinity). "
                "Train again with a lower learning rate and save the new model."
            )
    return tensors


def load(source: str | os.PathLike | bytes | BinaryIO, *, max_parameters: int | None = None) -> TrainedModel:
    """Read a model file (a path, its bytes, or a binary file object) into a ``TrainedModel`` on the CPU.

    Every member, size, key, shape and value is checked; any problem raises ``ModelFileError`` that says
    what was wrong and how to fix it. Nothing is unpickled. The sizes the file declares are checked before
    anything is allocated for them: ``meta.json`` first, then the parameter count its config implies (against
    ``max_parameters``, if given), then the weights member against that count. A refused file costs little.
    """
    content, label = _read_source(source)
    with _open_archive(content, label) as archive:
        _check_members(archive, label)
        meta = _parse_meta(_read_member(archive, META_MEMBER, label, MAX_META_BYTES), label)
        config, scaler, names, image_shape, history, stop_reason, weights_epoch = _parse_parts(meta, label)
        count = parameter_count(len(names), config.model, image_shape)
        if max_parameters is not None and count > max_parameters:
            raise ModelFileError(
                f"{_cap(label)} holds a model with {count:,} parameters; the limit here is {max_parameters:,}. "
                "Train a smaller model (a smaller code size, fewer or narrower hidden layers) and export it again."
            )
        weights_raw = _read_member(archive, WEIGHTS_MEMBER, label, 4 * count + SAFETENSORS_HEADER_BYTES)
    tensors = _read_tensors(weights_raw, label)
    held = sum(tensor.numel() for tensor in tensors.values())
    if count > 2 * held + 1024:  # never build a model much larger than the file (whose exact shapes are checked below)
        raise ModelFileError(
            f"The weights in {label} hold {held:,} numbers, but the model its config describes has {count:,} "
            f"parameters: the file is damaged or was not written by dae_core. {MAKE_ONE}"
        )
    trained = TrainedModel.build(
        config, scaler, names, image_shape, history=history, stop_reason=stop_reason, weights_epoch=weights_epoch
    )
    trained.model.load_state_dict(_parse_weights(tensors, trained.model, label), strict=True)
    return trained


# --- summary -----------------------------------------------------------------------------------------


def _finite_or_none(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _layer_sizes(model) -> list[tuple[int, int]]:
    """(inputs, outputs) of each encoder layer, flat: a conv layer's are channels x height x width."""
    if not hasattr(model, "code_shape"):
        return [(layer.in_features, layer.out_features) for layer in model.encoder]
    channels = [model.image_shape[2], *model.conv_channels, model.code_channels]
    spatial = [*model.sizes, model.sizes[-1]]  # each stage halves; the code layer keeps the size
    flat = [c * h * w for c, (h, w) in zip(channels, spatial)]
    return list(zip(flat[:-1], flat[1:]))


def describe(trained: TrainedModel) -> dict[str, Any]:
    """A JSON-safe summary: config, layers with their shapes, parameter count, epochs and final metrics."""
    model = trained.model
    cfg = trained.config.model
    conv = cfg.architecture == "conv"
    output_activation = resolve_output_activation(cfg.output_activation, trained.scaler.bounded, cfg.architecture)
    layers, sizes = [], _layer_sizes(model)
    for i, layer in enumerate(model.encoder):
        layers.append(
            {
                "name": f"encoder.{i}",
                "in_features": sizes[i][0],
                "out_features": sizes[i][1],
                "weight_shape": list(layer.weight.shape),
                "bias_shape": list(layer.bias.shape),
                "activation": model.activation,
                "tied_to": None,
            }
        )
    n_decoder = len(model.encoder)
    for i in range(n_decoder):
        mirror = n_decoder - 1 - i  # decoder step i mirrors encoder layer `mirror`
        source = model.encoder[mirror]
        bias = model.decoder_bias[i] if model.tied_weights else model.decoder[i].bias
        weight = source.weight if model.tied_weights else model.decoder[i].weight  # a tied conv reuses it as is
        layers.append(
            {
                "name": f"decoder.{i}",
                "in_features": sizes[mirror][1],
                "out_features": sizes[mirror][0],
                "weight_shape": list(weight.shape) if conv else [sizes[mirror][0], sizes[mirror][1]],
                "bias_shape": list(bias.shape),
                "activation": output_activation if i == n_decoder - 1 else model.activation,
                "tied_to": f"encoder.{mirror} (transposed)" if model.tied_weights else None,
            }
        )
    last = trained.kept_record  # the epoch whose weights these are: the best one after early stopping
    return {
        "config": trained.config.to_dict(),
        "input_dim": model.input_dim,
        "hidden_dim": model.hidden_dim,
        "hidden_layers": list(model.hidden_layers),
        "layers": layers,
        "n_parameters": int(sum(p.numel() for p in model.parameters())),
        "scaler": trained.scaler.kind,
        "feature_names": list(trained.feature_names),
        "image_shape": list(trained.image_shape) if trained.image_shape else None,
        "epochs": len(trained.history),
        "weights_epoch": last.epoch if last else None,
        "train_loss": _finite_or_none(last.train_loss) if last else None,
        "test_mse": _finite_or_none(last.test_mse) if last else None,
        "identity_mse": _finite_or_none(last.identity_mse) if last else None,
        "pca_mse": _finite_or_none(last.pca_mse) if last else None,
        "test_psnr": _finite_or_none(last.test_psnr) if last else None,
        "stop_reason": trained.stop_reason,
    }
