"""What a model file costs the server's memory while it is checked, and whether it is refused before it is loaded.

Three files a visitor could upload, each small on disk, and one within the limit to show what a load costs:
- a valid model with about 100 million parameters (zero weights compress to almost nothing);
- a small model whose config asks for 8 hidden layers of 4096 units (235 million parameters);
- a small model whose weights member is 500 MB of zeros.

Each is loaded in a fresh process with the dashboard's parameter limit, as the sidebar's import does, and the
process's peak resident memory is compared with its memory just before the load:

    python bench/bench_upload_memory.py
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LOAD = """
import json, re, sys
from dae_core import model_file
from dae_core.errors import DAEError
import torch  # the server has it loaded already

def kb(field):
    return int(re.search(field + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1))

data = open(sys.argv[1], "rb").read()
before = kb("VmRSS")
open("/proc/self/clear_refs", "w").write("5")  # the peak (VmHWM) starts again from here
try:
    model_file.load(data, max_parameters=int(sys.argv[2]))
    outcome = "loaded"
except DAEError as exc:
    outcome = str(exc)
print(json.dumps({"peak_growth_mb": round((kb("VmHWM") - before) / 1024, 1), "outcome": outcome}))
"""


def _members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def files() -> dict[str, bytes]:
    import torch

    from dae_core import RunConfig, model_file
    from dae_core.data import load_dataset
    from dae_core.training import TrainedModel

    def model(config: RunConfig) -> TrainedModel:
        return TrainedModel.of_dataset(config, load_dataset(config.data))

    small = model_file.to_bytes(model(RunConfig().replace(hidden_dim=8, epochs=1)))
    big = model(RunConfig().replace(n_features=1000, hidden_layers=(4096, 4096, 4096), hidden_dim=4096, epochs=1))
    with torch.no_grad():
        for parameter in big.model.parameters():
            parameter.zero_()
    members = _members(small)
    meta = json.loads(members["meta.json"])
    meta["config"]["model"]["hidden_layers"] = [4096] * 8
    asks_for_more = _zip({**members, "meta.json": json.dumps(meta).encode()})
    zeros = _zip({**_members(small), "weights.safetensors": bytes(500 * 2**20)})
    accepted = model_file.to_bytes(model(RunConfig().replace(n_features=1000, hidden_layers=(1024,), hidden_dim=1024)))
    return {
        "valid, 4.1 M parameters (within the limit: the measure's control)": accepted,
        "valid, 109 M parameters": model_file.to_bytes(big),
        "config asks for 8×4096": asks_for_more,
        "500 MB of zeros": zeros,
    }


def main() -> None:
    sys.path.insert(0, str(REPO_ROOT))
    from dae_core.serving.limits import Limits  # the dashboard's limit is the default one

    limit = Limits().max_parameters
    with tempfile.TemporaryDirectory() as folder:
        for name, content in files().items():
            path = Path(folder) / "upload.dae"
            path.write_bytes(content)
            result = subprocess.run(
                [sys.executable, "-c", LOAD, str(path), str(limit)],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            print(json.dumps({"file": name, "file_kb": round(len(content) / 1024), **json.loads(result.stdout)}))


if __name__ == "__main__":
    main()
