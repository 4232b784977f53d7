"""A user's pictures (a zip or a folder of PNG and JPEG files) as rows: shapes, labels from folders, the centre crop,
every refusal's message, and the digest that names the pictures."""

import io
import struct
import time
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from dae_core import images
from dae_core.errors import ConfigError, DataError
from dae_core.images import ImageSet, images_digest, read_images


def png(array, mode=None) -> bytes:
    """A PNG of ``array``: (h, w) grayscale or (h, w, 3|4) colour uint8 (or uint16 for 16-bit grayscale)."""
    buffer = io.BytesIO()
    (Image.fromarray(np.asarray(array)) if mode is None else Image.fromarray(np.asarray(array), mode)).save(
        buffer, "PNG"
    )
    return buffer.getvalue()


def jpeg(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, np.uint8)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def noise(seed: int, shape=(6, 6)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def pictures(n=12, prefix="", shape=(6, 6)) -> dict[str, bytes]:
    return {f"{prefix}p{i:02d}.png": png(noise(i, shape)) for i in range(n)}


def zip_bytes(files: dict[str, bytes], dirs=()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in dirs:
            archive.writestr(zipfile.ZipInfo(name), b"")  # a name ending in '/' is a directory entry
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write_folder(folder, files: dict[str, bytes]):
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def refused(source, *phrases, size=8, color=False):
    """The DataError reading ``source`` raises, checked to hold every phrase."""
    with pytest.raises(DataError) as caught:
        read_images(source, size, color)
    message = str(caught.value)
    for phrase in phrases:
        assert phrase in message, message
    return message


# --- what is read --------------------------------------------------------------------------------------------------


def test_grayscale_rows_shape_and_range(tmp_path):
    files = pictures(12)
    result = read_images(write_folder(tmp_path, files), 8, False)
    assert isinstance(result, ImageSet)
    assert result.X.shape == (12, 64) and result.X.dtype == np.float32
    assert result.X.min() >= 0 and result.X.max() <= 1 and result.X.std() > 0.1
    assert result.y is None and result.class_names == []
    assert result.file_names == sorted(files)
    assert result.image_shape == (8, 8, 1)


def test_same_size_pictures_are_their_pixels_scaled():
    files = pictures(12)
    result = read_images(zip_bytes(files), 6, False)
    np.testing.assert_allclose(result.X[3], noise(3).reshape(-1) / 255, atol=1e-6)


def test_colour_rows_in_height_width_channel_order():
    red = np.zeros((6, 6, 3), np.uint8)
    red[..., 0] = 255
    files = pictures(11) | {"red.png": png(red)}
    result = read_images(zip_bytes(files), 5, True)
    assert result.X.shape == (12, 75) and result.image_shape == (5, 5, 3)
    assert result.X.min() >= 0 and result.X.max() <= 1
    row = result.X[result.file_names.index("red.png")].reshape(5, 5, 3)
    np.testing.assert_allclose(row, np.broadcast_to([1, 0, 0], (5, 5, 3)), atol=1e-6)
    gray = result.X[0].reshape(5, 5, 3)  # a grayscale picture read in colour: three equal channels
    np.testing.assert_array_equal(gray[..., 0], gray[..., 1])
    np.testing.assert_array_equal(gray[..., 0], gray[..., 2])


def test_colour_picture_read_in_grayscale_is_its_luma():
    blue = np.zeros((6, 6, 3), np.uint8)
    blue[..., 2] = 255
    result = read_images(zip_bytes(pictures(11) | {"blue.png": png(blue)}), 4, False)
    np.testing.assert_allclose(result.X[result.file_names.index("blue.png")], 29 / 255, atol=1e-6)  # ITU-R 601-2


def test_labels_from_two_sub_folders(tmp_path):
    files = pictures(5, "dogs/") | pictures(7, "cats/") | {"cats/deep/er/x.png": png(noise(99))}
    result = read_images(write_folder(tmp_path, files), 4, False)
    assert result.class_names == ["cats", "dogs"]
    assert result.file_names == sorted(files)
    expected = [0 if name.startswith("cats/") else 1 for name in result.file_names]
    assert result.y.dtype == np.int64 and result.y.tolist() == expected


def test_a_folder_that_wraps_everything_is_looked_inside():
    labelled = read_images(zip_bytes(pictures(6, "photos/a/") | pictures(6, "photos/b/")), 4, False)
    assert labelled.class_names == ["a", "b"] and labelled.y.tolist() == [0] * 6 + [1] * 6
    assert labelled.file_names[0] == "photos/a/p00.png"
    one_class = read_images(zip_bytes(pictures(12, "photos/cats/")), 4, False)  # one class teaches nothing
    assert one_class.y is None and one_class.class_names == []


def test_centre_crop_then_resize_keeps_the_aspect():
    wide = np.full((20, 40), 255, np.uint8)  # 40 wide, 20 high: the centre square is columns 10..29
    wide[:, 10:30] = 0
    split = np.zeros((20, 40), np.uint8)  # left half black, right half white: the square's too
    split[:, 20:] = 255
    tall = np.zeros((40, 20), np.uint8)  # top half black, bottom half white
    tall[20:] = 255
    files = pictures(9) | {"wide.png": png(wide), "split.png": png(split), "tall.png": png(tall)}
    result = read_images(zip_bytes(files), 4, False)
    rows = {name: result.X[result.file_names.index(name)].reshape(4, 4) for name in ("wide.png", "split.png")}
    np.testing.assert_array_equal(rows["wide.png"], 0)  # the white sides were cropped away, and never filtered in
    split_row = rows["split.png"]
    assert (split_row == split_row[0]).all()  # every row alike
    assert split_row[0, :2].max() < 0.2 and split_row[0, 2:].min() > 0.8
    tall_row = result.X[result.file_names.index("tall.png")].reshape(4, 4)
    assert (tall_row == tall_row[:, :1]).all()  # every column alike
    assert tall_row[:2].max() < 0.2 and tall_row[2:].min() > 0.8


def test_bytes_zip_path_and_folder_give_the_same_rows(tmp_path):
    files = pictures(6, "a/") | pictures(6, "b/")
    content = zip_bytes(files)
    (tmp_path / "pics.zip").write_bytes(content)
    folder = write_folder(tmp_path / "pics", files)
    results = [
        read_images(content, 5, True),
        read_images(bytearray(content), 5, True),
        read_images(memoryview(content), 5, True),
        read_images(tmp_path / "pics.zip", 5, True),
        read_images(str(tmp_path / "pics.zip"), 5, True),
        read_images(folder, 5, True),
    ]
    for other in results[1:]:
        np.testing.assert_array_equal(other.X, results[0].X)
        np.testing.assert_array_equal(other.y, results[0].y)
        assert other.file_names == results[0].file_names and other.class_names == results[0].class_names


def test_transparency_is_composited_onto_white():
    clear = np.zeros((6, 6, 4), np.uint8)  # fully transparent black
    result = read_images(zip_bytes(pictures(11) | {"clear.png": png(clear)}), 4, True)
    np.testing.assert_allclose(result.X[result.file_names.index("clear.png")], 1, atol=1e-6)


def test_sixteen_bit_grayscale_is_scaled_not_clipped():
    mid = np.full((6, 6), 32768, np.uint16)
    result = read_images(zip_bytes(pictures(11) | {"mid.png": png(mid)}), 4, False)
    np.testing.assert_allclose(result.X[result.file_names.index("mid.png")], 32768 / 65535, atol=1e-4)


def test_jpeg_pictures_any_extension_case():
    gray = np.full((64, 32, 3), 128, np.uint8)
    files = pictures(10) | {"big.JPG": jpeg(np.full((256, 384, 3), 200, np.uint8)), "x.jpeg": jpeg(gray)}
    result = read_images(zip_bytes(files), 8, True)
    assert result.X.shape == (12, 192)
    np.testing.assert_allclose(result.X[result.file_names.index("big.JPG")], 200 / 255, atol=0.02)
    np.testing.assert_allclose(result.X[result.file_names.index("x.jpeg")], 128 / 255, atol=0.02)


def test_system_files_and_directories_are_ignored(tmp_path):
    junk = {
        "__MACOSX/._p00.png": b"\x00\x05\x16\x07 resource fork",
        "__MACOSX/cats/._p01.png": b"junk",
        ".DS_Store": b"\x00\x00\x00\x01Bud1",
        "cats/.DS_Store": b"junk",
        "cats/.hidden.png": b"not a picture",
        "Thumbs.db": b"junk",
    }
    files = pictures(6, "cats/") | pictures(6, "dogs/")
    for source in (zip_bytes(files | junk, dirs=("cats/", "dogs/", "empty/")), write_folder(tmp_path, files | junk)):
        result = read_images(source, 4, False)
        assert result.file_names == sorted(files) and result.class_names == ["cats", "dogs"]


# --- what is refused -----------------------------------------------------------------------------------------------


def test_corrupt_picture_is_named():
    good = png(noise(0))
    for bad in (b"this is not a png", good[: len(good) // 2], b"GIF89a" + good[6:]):
        files = pictures(11, "photos/") | {"photos/cat3.png": bad}
        refused(zip_bytes(files), "photos/cat3.png is not a PNG or JPEG image Pillow can read (", "Remove it")


def test_a_gif_saved_as_png_is_refused():
    buffer = io.BytesIO()
    Image.fromarray(noise(0)).save(buffer, "GIF")
    refused(zip_bytes(pictures(11) | {"anim.png": buffer.getvalue()}), "anim.png is not a PNG or JPEG image")


@pytest.mark.parametrize("name", ["notes.txt", "cats/photo.gif", "scan.BMP", "README"])
def test_a_file_of_another_kind_is_refused(name, tmp_path):
    files = pictures(6, "cats/") | pictures(6, "dogs/") | {name: b"data"}
    for source in (zip_bytes(files), write_folder(tmp_path, files)):
        refused(source, name, ".png, .jpg and .jpeg", "Remove it")


def test_several_other_files_are_counted():
    files = pictures(12) | {"a.txt": b"x", "b.txt": b"y", "c.csv": b"z"}
    refused(zip_bytes(files), "a.txt (and 2 more files that are not pictures)")


def test_mixed_top_level_and_folder_files():
    files = pictures(6, "cats/") | pictures(6, "dogs/") | {"stray.png": png(noise(50))}
    refused(zip_bytes(files), "stray.png sits outside a folder", "cats/, dogs/", "Move it into one of those folders")


def test_empty_zip_and_folder(tmp_path):
    refused(zip_bytes({}), "The uploaded file holds no PNG or JPEG pictures")
    refused(zip_bytes({".DS_Store": b"x", "__MACOSX/._a.png": b"x"}), "holds no PNG or JPEG pictures")
    (tmp_path / "empty").mkdir()
    refused(tmp_path / "empty", "The folder 'empty' holds no PNG or JPEG pictures", "Put your .png or .jpg files")


def test_not_a_zip(tmp_path):
    refused(b"just some text, no zip", "The uploaded file is not a zip file (", "Zip the folder of pictures again (")
    truncated = zip_bytes(pictures(12))[:-30]
    refused(truncated, "is not a zip file (")
    (tmp_path / "photos.zip").write_bytes(png(noise(0)))
    refused(tmp_path / "photos.zip", "'photos.zip' is not a zip file")


def test_a_damaged_member_is_named():
    content = bytearray(zip_bytes(pictures(12)))
    start = content.find(b"p05.png") + len(b"p05.png")  # the local header's name, then its compressed bytes
    content[start + 10 : start + 20] = bytes(10)
    refused(bytes(content), "p05.png", "Zip the folder of pictures again")


def test_too_few_pictures():
    refused(zip_bytes(pictures(9)), "holds 9 pictures; at least 10 are needed to train and test", "Add more")
    refused(zip_bytes(pictures(1)), "holds 1 picture;")


def test_a_path_that_does_not_exist(tmp_path):
    refused(tmp_path / "nowhere.zip", "nowhere.zip' does not exist", "Check the path")
    with pytest.raises(DataError, match="not int"):
        read_images(42, 8, False)


def with_dimensions(content: bytes, width: int, height: int) -> bytes:
    """A PNG whose IHDR declares ``width``×``height`` (its checksum made right), whatever its pixels hold."""
    ihdr = bytearray(content[12:29])  # b"IHDR", then width, height and 5 more bytes
    struct.pack_into(">II", ihdr, 4, width, height)
    return content[:8] + content[8:12] + bytes(ihdr) + struct.pack(">I", zlib.crc32(ihdr)) + content[33:]


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (5_000, 5_000)])
def test_a_pixel_bomb_is_refused_before_decoding(width, height):
    bomb = with_dimensions(png(noise(0)), width, height)
    started = time.perf_counter()
    message = refused(zip_bytes(pictures(11) | {"bomb.png": bomb}), "bomb.png", "4096×4096", "Shrink it")
    assert time.perf_counter() - started < 1
    if width == 5_000:
        assert "5,000×5,000 pixels" in message


def test_too_many_pictures(monkeypatch, tmp_path):
    monkeypatch.setattr(images, "MAX_IMAGES", 5)
    refused(zip_bytes(pictures(12)), "holds 12 pictures, more than the 5 read at once", "Keep fewer")
    refused(write_folder(tmp_path, pictures(12)), "holds 12 pictures")


def test_too_many_entries_refused_before_listing(monkeypatch):
    content = zip_bytes(pictures(12))
    monkeypatch.setattr(images, "MAX_ZIP_ENTRIES", 8)

    def no_listing(*_args, **_kwargs):
        raise AssertionError("the zip was listed")

    monkeypatch.setattr(images.zipfile, "ZipFile", no_listing)
    refused(content, "declares 12 entries", "fewer pictures")


def test_a_declared_entry_count_is_read_from_the_end_record():
    content = bytearray(zip_bytes(pictures(12)))
    end = content.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", content, end + 8, 60_000, 60_000)
    refused(bytes(content), "declares 60,000 entries")


def test_an_encrypted_member_is_named():
    content = bytearray(zip_bytes(pictures(12)))
    at = content.find(b"PK\x01\x02")  # the first central-directory entry: p00.png
    content[at + 8] |= 0x1  # general-purpose flag bit 0: encrypted
    refused(bytes(content), "p00.png is encrypted", "without a password")


def test_file_and_total_size_caps(monkeypatch, tmp_path):
    files = pictures(11) | {"large.png": png(noise(1, (40, 40)))}
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 1000)
    refused(zip_bytes(files), "large.png is 0.0 MB, more than the 0 MB", "Shrink it")
    refused(write_folder(tmp_path, files), "large.png is")
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 20 * 2**20)
    monkeypatch.setattr(images, "MAX_TOTAL_BYTES", 1000)
    refused(zip_bytes(files), "The pictures in the uploaded file add up to", "Use fewer or smaller pictures")


def test_limits_are_checked_before_any_picture_is_decoded(monkeypatch):
    calls = []

    class Limits:
        def check_table(self, columns, rows, labelled=None):
            calls.append((columns, rows, labelled))
            raise DataError("This table has too many rows. Keep fewer and upload it again.")

    monkeypatch.setattr(images, "_picture", lambda *_: pytest.fail("a picture was decoded"))
    with pytest.raises(DataError, match="too many rows"):
        read_images(zip_bytes(pictures(6, "a/") | pictures(6, "b/")), 8, True, limits=Limits())
    assert calls == [(8 * 8 * 3, 12, False)]


@pytest.mark.parametrize("size", [3, 65, 8.0, True, "8", None])
def test_size_must_be_a_whole_number_from_4_to_64(size):
    with pytest.raises(ConfigError, match="from 4 to 64"):
        read_images(zip_bytes(pictures(12)), size, False)


def test_color_must_be_a_bool():
    with pytest.raises(ConfigError, match="True"):
        read_images(zip_bytes(pictures(12)), 8, "yes")
    assert read_images(zip_bytes(pictures(12)), np.int64(4), np.bool_(True)).image_shape == (4, 4, 3)


# --- the digest ----------------------------------------------------------------------------------------------------


def test_digest_is_stable_and_tells_content_apart(tmp_path):
    files = pictures(12, "a/")
    content = zip_bytes(files)
    (tmp_path / "p.zip").write_bytes(content)
    digest = images_digest(content)
    assert len(digest) == 12 and int(digest, 16) >= 0
    assert images_digest(content) == digest == images_digest(tmp_path / "p.zip") == images_digest(memoryview(content))
    assert images_digest(zip_bytes(pictures(12, "b/"))) != digest

    folder = write_folder(tmp_path / "one", files)
    same = write_folder(tmp_path / "two", files | {".DS_Store": b"ignored"})
    assert images_digest(folder) == images_digest(same) == images_digest(str(folder))
    (same / "a" / "p03.png").write_bytes(png(noise(300)))
    assert images_digest(same) != images_digest(folder)
    renamed = write_folder(tmp_path / "three", {name.replace("a/", "c/"): data for name, data in files.items()})
    assert images_digest(renamed) != images_digest(folder)
    with pytest.raises(DataError, match="does not exist"):
        images_digest(tmp_path / "missing")
