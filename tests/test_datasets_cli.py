"""``python -m dae_core datasets``: fetch from a local HTTP server (every mirror and checksum patched to it), skip
what is there, fall back between mirrors, fail in one line that says where to put the files, and list what is there.
"""

import gzip
import hashlib
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from dae_core import idx
from dae_core.cli import datasets as datasets_cli
from dae_core.cli import main
from dae_core.idx import IDX_FILES, data_dir, idx_file_size, idx_folder, load_idx_set

FILES = [f"{stem}.gz" for stem in IDX_FILES]


def idx_bytes(array) -> bytes:
    """An IDX file of unsigned bytes: two zero bytes, 0x08, the number of dimensions, each one, then the bytes."""
    array = np.asarray(array, np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def tiny_set(seed: int = 0) -> dict[str, bytes]:
    """The four gzipped files of a 12 + 5 image set of 4×3 pixels, by file name."""
    rng = np.random.default_rng(seed)
    arrays = [rng.integers(0, 256, (12, 4, 3)), np.arange(12) % 10, rng.integers(0, 256, (5, 4, 3)), np.arange(5) % 10]
    return {name: gzip.compress(idx_bytes(array), mtime=0) for name, array in zip(FILES, arrays)}


class Server:
    """A local HTTP server of ``files`` (URL path -> bytes) that counts the requests for each path."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, folder: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/{folder}/"

    def serve(self, folder: str, files: dict[str, bytes]) -> str:
        self.files.update({f"/{folder}/{name}": body for name, body in files.items()})
        return self.url(folder)

    def total_hits(self) -> int:
        return sum(self.hits.values())

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def data(tmp_path, monkeypatch):
    """The data folder: a fresh one under tmp_path."""
    monkeypatch.setenv("DAE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def files():
    """The tiny set's four gzipped files, by name."""
    return tiny_set()


def publish(monkeypatch, mirrors, files, name="mnist"):
    """Make ``mirrors`` the mirrors of ``name`` and ``files``' MD5s its published checksums."""
    monkeypatch.setitem(idx.IDX_MIRRORS, name, tuple(mirrors))
    monkeypatch.setitem(idx.IDX_MD5, name, {n: hashlib.md5(body).hexdigest() for n, body in files.items()})


def run(capsys, *argv):
    """main(argv) in-process: (exit code, stdout lines, stderr lines)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (it was bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.part"))


# --- fetch ---------------------------------------------------------------------------------------------------------


def test_fetch_downloads_checks_and_loads_the_four_files(capsys, monkeypatch, server, data, files):
    publish(monkeypatch, [server.serve("mnist", files)], files)
    code, out, err = run(capsys, "datasets", "fetch", "mnist")
    folder = idx_folder(data, "mnist")
    assert code == 0 and err == []
    for line, (name, body) in zip(out, files.items()):
        assert line == f"{name}: {len(body):,} bytes from {server.url('mnist')}{name}, ok"
    assert out[4] == f"MNIST is ready in {folder}: 12 training and 5 test images of 4×3."
    assert len(out) == 5
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == files  # nothing else, no .part file
    assert server.total_hits() == 4
    loaded = load_idx_set(folder, "mnist")
    assert loaded.X_train.shape == (12, 12) and loaded.y_test.tolist() == [0, 1, 2, 3, 4]


def test_a_second_fetch_keeps_the_files_and_downloads_nothing(capsys, monkeypatch, server, data, files):
    publish(monkeypatch, [server.serve("mnist", files)], files)
    assert run(capsys, "datasets", "fetch", "mnist")[0] == 0
    code, out, err = run(capsys, "datasets", "fetch", "mnist")
    assert code == 0 and err == []
    assert out[:4] == [f"{name}: {len(body):,} bytes, already present" for name, body in files.items()]
    assert out[4].startswith("MNIST is ready in ")
    assert server.total_hits() == 4  # the first fetch's only


def test_force_downloads_every_file_again(capsys, monkeypatch, server, data, files):
    publish(monkeypatch, [server.serve("mnist", files)], files)
    run(capsys, "datasets", "fetch", "mnist")
    code, out, _ = run(capsys, "datasets", "fetch", "mnist", "--force")
    assert code == 0 and all(line.endswith(", ok") for line in out[:4])
    assert server.total_hits() == 8


def test_a_file_with_the_wrong_checksum_is_replaced(capsys, monkeypatch, server, data, files):
    publish(monkeypatch, [server.serve("mnist", files)], files)
    folder = idx_folder(data, "mnist")
    folder.mkdir(parents=True)
    (folder / FILES[0]).write_bytes(b"not the published file")
    (folder / FILES[1]).write_bytes(files[FILES[1]])
    code, out, _ = run(capsys, "datasets", "fetch", "mnist")
    assert code == 0
    assert out[0].endswith(", ok") and out[1].endswith("already present")
    assert (folder / FILES[0]).read_bytes() == files[FILES[0]]
    assert server.hits == {f"/mnist/{name}": 1 for name in (FILES[0], *FILES[2:])}


def test_fetch_to_a_folder_of_ones_own(capsys, monkeypatch, server, data, files, tmp_path):
    publish(monkeypatch, [server.serve("mnist", files)], files)
    code, out, _ = run(capsys, "datasets", "fetch", "mnist", "--to", str(tmp_path / "mine"))
    assert code == 0 and out[4].startswith(f"MNIST is ready in {tmp_path / 'mine'}:")
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == sorted(FILES)
    assert not idx_folder(data, "mnist").exists()


def test_fetch_fashion_mnist_uses_its_own_table(capsys, monkeypatch, server, data):
    files = tiny_set(seed=1)
    publish(monkeypatch, [server.serve("fashion", files)], files, name="fashion-mnist")
    code, out, _ = run(capsys, "datasets", "fetch", "fashion-mnist")
    assert code == 0 and out[4].startswith(f"Fashion-MNIST is ready in {idx_folder(data, 'fashion-mnist')}:")
    assert set(server.hits) == {f"/fashion/{name}" for name in FILES}


# --- fetch: mirrors and failures -----------------------------------------------------------------------------------


def test_a_wrong_checksum_on_the_first_mirror_falls_back_to_the_second(capsys, monkeypatch, server, data, files):
    bad = {name: gzip.compress(b"something else", mtime=0) for name in files}
    first, second = server.serve("bad", bad), server.serve("good", files)
    publish(monkeypatch, [first, second], files)
    code, out, err = run(capsys, "datasets", "fetch", "mnist")
    assert code == 0 and err == []
    name, md5 = FILES[0], hashlib.md5(files[FILES[0]]).hexdigest()
    got = hashlib.md5(bad[name]).hexdigest()
    assert out[0] == (
        f"{name}: {len(files[name]):,} bytes from {second}{name}, ok "
        f"(after {first}{name} gave a file whose MD5 is {got}, not the published {md5})"
    )
    assert server.hits[f"/bad/{name}"] == 1 and server.hits[f"/good/{name}"] == 1
    assert leftovers(data) == []
    assert load_idx_set(idx_folder(data, "mnist"), "mnist").X_test.shape == (5, 12)


def test_a_missing_file_on_the_first_mirror_falls_back_to_the_second(capsys, monkeypatch, server, data, files):
    publish(monkeypatch, [server.url("empty"), server.serve("good", files)], files)
    code, out, _ = run(capsys, "datasets", "fetch", "mnist")
    assert code == 0
    assert out[0].endswith(f"ok (after {server.url('empty')}{FILES[0]} answered HTTP 404 Not Found)")


def test_a_wrong_checksum_everywhere_fails_in_one_line_that_says_where_to_put_the_files(
    capsys, monkeypatch, server, data, files
):
    bad = {name: b"\x1f\x8b corrupted" for name in files}
    mirrors = [server.serve("bad1", bad), server.serve("bad2", bad)]
    publish(monkeypatch, mirrors, files)
    code, out, err = run(capsys, "datasets", "fetch", "mnist")
    folder = idx_folder(data, "mnist")
    assert code == 2 and out == []
    assert len(err) == 1 and err[0].startswith(f"error: Could not download MNIST's {FILES[0]}: {mirrors[0]}{FILES[0]}")
    assert "not the published" in err[0]
    assert f"put them in {folder} " in err[0] and ", ".join(FILES) in err[0]
    assert "Traceback" not in err[0]
    assert list(folder.iterdir()) == []  # no .part file, no half-checked file


def test_an_unreachable_mirror_says_so_and_where_to_put_the_files(capsys, monkeypatch, data, files):
    url = f"http://127.0.0.1:{closed_port()}/mnist/"
    publish(monkeypatch, [url], files)
    code, out, err = run(capsys, "datasets", "fetch", "mnist")
    folder = idx_folder(data, "mnist")
    assert code == 2 and out == []
    assert len(err) == 1
    assert err[0].startswith(f"error: Could not download MNIST's {FILES[0]}: this machine could not reach 127.0.0.1:")
    assert err[0].endswith(
        f"Download the four files yourself ({', '.join(FILES)}) from {url}, put them in {folder} (gzipped or not), "
        "then run: python -m dae_core datasets list"
    )
    assert leftovers(data) == []


def test_a_server_that_never_answers_times_out(capsys, monkeypatch, data, files):
    with socket.socket() as listener:  # accepts connections (the backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        publish(monkeypatch, [f"http://127.0.0.1:{listener.getsockname()[1]}/"], files)
        monkeypatch.setattr(datasets_cli, "TIMEOUT_S", 0.2)
        code, _, err = run(capsys, "datasets", "fetch", "mnist")
    assert code == 2 and len(err) == 1 and "(no answer within 0.2 s)" in err[0]
    assert leftovers(data) == []


def test_a_file_over_the_cap_is_refused_and_leaves_nothing(capsys, monkeypatch, server, data, files):
    publish(monkeypatch, [server.serve("mnist", files)], files)
    monkeypatch.setattr(datasets_cli, "MAX_DOWNLOAD_BYTES", 10)
    code, _, err = run(capsys, "datasets", "fetch", "mnist")
    assert code == 2 and len(err) == 1 and "more than the 10 bytes a file may be" in err[0]
    assert list(idx_folder(data, "mnist").iterdir()) == []


def test_a_folder_that_cannot_be_created_is_one_line(capsys, monkeypatch, tmp_path, files):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("DAE_DATA_DIR", str(tmp_path / "file"))
    publish(monkeypatch, ["http://127.0.0.1:9/"], files)
    code, _, err = run(capsys, "datasets", "fetch", "mnist")
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"error: Cannot create the folder {tmp_path / 'file' / 'datasets' / 'mnist'} for MNIST")


def test_an_unknown_dataset_names_the_valid_ones(capsys, data):
    code, out, err = run(capsys, "datasets", "fetch", "mnst")
    assert code == 2 and out == []
    assert err == [
        "error: unknown dataset 'mnst'; the datasets that can be fetched are 'mnist' and 'fashion-mnist'. "
        "Did you mean 'mnist'?"
    ]
    assert not data.exists()


def test_datasets_without_a_subcommand_and_with_an_unknown_flag(capsys):
    assert run(capsys, "datasets")[0] == 2
    code, _, err = run(capsys, "datasets", "fetch", "mnist", "--forse")
    assert code == 2
    assert err == ["error: unknown flag '--forse'; did you mean '--force'?"]


def test_the_help_names_the_datasets_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0 and "{train,sweep,inspect,datasets,pretrain,tune,photo}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["datasets", "fetch", "--help"])
    assert "--force" in capsys.readouterr().out


# --- list ----------------------------------------------------------------------------------------------------------


def test_list_says_what_is_there(capsys, monkeypatch, server, data, files):
    publish(monkeypatch, [server.serve("mnist", files)], files)
    code, out, _ = run(capsys, "datasets", "list")
    assert code == 0
    assert out[0] == f"Data folder: {data} (set DAE_DATA_DIR to change it)"
    assert out[1] == (
        f"mnist (MNIST): {idx_folder(data, 'mnist')}: not ready; run: python -m dae_core datasets fetch mnist"
    )
    assert out[2:6] == [f"  {name}: missing" for name in FILES]
    assert out[6].startswith("fashion-mnist (Fashion-MNIST): ") and len(out) == 11

    run(capsys, "datasets", "fetch", "mnist")
    code, out, _ = run(capsys, "datasets", "list")
    assert out[1] == f"mnist (MNIST): {idx_folder(data, 'mnist')}: ready"
    assert out[2:6] == [f"  {name}: {len(body):,} bytes, ok" for name, body in files.items()]


def test_list_flags_a_wrong_file(capsys, monkeypatch, data, files):
    publish(monkeypatch, ["http://127.0.0.1:9/"], files)
    folder = idx_folder(data, "mnist")
    folder.mkdir(parents=True)
    for name, body in files.items():
        (folder / name).write_bytes(body)
    (folder / FILES[1]).write_bytes(b"changed")
    (folder / IDX_FILES[3]).write_bytes(b"\0" * 100)  # an uncompressed file is read first, and checked by its size
    _, out, _ = run(capsys, "datasets", "list")
    assert out[1].endswith(": not ready; run: python -m dae_core datasets fetch mnist")
    assert out[2] == f"  {FILES[0]}: {len(files[FILES[0]]):,} bytes, ok"
    assert out[3] == f"  {FILES[1]}: 7 bytes, not the published file (its MD5 differs); fetch it with --force"
    assert out[5] == f"  {IDX_FILES[3]}: 100 bytes, not the 10,008 it should hold; delete it and fetch again"


# --- the data folder -----------------------------------------------------------------------------------------------


def test_the_data_folder_is_dae_data_dir_else_dot_dae_lab(tmp_path):
    assert data_dir({"DAE_DATA_DIR": str(tmp_path)}) == tmp_path
    assert data_dir({"DAE_DATA_DIR": "  "}) == Path.home() / ".dae-lab"
    assert data_dir({}) == Path.home() / ".dae-lab"


def test_the_published_tables_cover_every_file_of_both_sets():
    assert set(idx.IDX_MIRRORS) == set(idx.IDX_MD5) == set(idx.IDX_SETS)
    for checksums in idx.IDX_MD5.values():
        assert list(checksums) == FILES and all(len(md5) == 32 and int(md5, 16) >= 0 for md5 in checksums.values())
    assert [idx_file_size(stem) for stem in IDX_FILES] == [47_040_016, 60_008, 7_840_016, 10_008]
