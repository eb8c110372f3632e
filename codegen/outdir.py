"""The output folder of `rnnc compile`: what rnnc writes there, and how it shares the folder.

OUT may hold the user's own files (a Makefile, a main.c, notes); rnnc touches only the files
it wrote. manifest.json lists them with their sha256, and everything that builds or reads OUT
uses that list, never a glob:
- compile refuses to overwrite a file rnnc did not write, or one changed since rnnc wrote it,
  unless force=True (--force); files an earlier compile wrote that this one does not are
  removed when unchanged;
- every file is written under a temporary name beside it and renamed into place, manifest.json
  last, so a reader never sees half a file; arrays.npz is checked against its sha256 in the
  manifest when read;
- writers hold an exclusive lock on OUT/.rnnc.lock, readers a shared one, so two compiles
  into one OUT, or a compile beside a run, never interleave (where the OS has flock).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from .errors import RnncError

MANIFEST = "manifest.json"
ARRAYS = "arrays.npz"
LOCK = ".rnnc.lock"
FORMAT = "rnnc-manifest"
VERSION = 2

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, writes stay atomic per file
    fcntl = None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _os_error(e: OSError, path: Path, doing: str) -> RnncError:
    return RnncError(f"cannot {doing} ({e.strerror or type(e).__name__})", file=str(path))


@contextlib.contextmanager
def locked(out: Path, exclusive: bool):
    """Hold OUT's lock (exclusive for writers, shared for readers) for the with-block. A reader
    of a folder it cannot write (a read-only checkout) reads without the lock."""
    out = Path(out)
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        if exclusive:
            raise _os_error(e, out, "write the output folder") from None
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def _make_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise RnncError("the output path exists and is not a folder", file=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _os_error(e, out, "create the output folder") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise RnncError("the output folder is not writable", file=str(out))


def _previous_files(out: Path) -> dict[str, str] | None:
    """{path: sha256} of what the last compile wrote, {} for a folder without a manifest, None
    when manifest.json exists but is not one of ours (then it belongs to the user)."""
    p = out / MANIFEST
    if not p.exists():
        return {}
    try:
        doc = json.loads(p.read_text())
        files = doc["files"] if doc.get("format") == FORMAT else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return None
    return files


def _current_hash(p: Path) -> str | None:
    try:
        return sha256(p.read_bytes()) if p.is_file() else None
    except OSError:
        return None


def _check_ownership(out: Path, files: dict[str, bytes], previous: dict[str, str] | None) -> None:
    ours = previous or {}
    names = list(files) + [MANIFEST]
    for rel in names:
        p = out / rel
        if not p.exists() and not p.is_symlink():
            continue
        if p.is_symlink() or not p.is_file():
            raise RnncError("is not a regular file; rnnc will not replace it (move it away)", file=str(p))
        if rel == MANIFEST:
            if previous is None:
                raise RnncError("was not written by rnnc; rnnc will not overwrite it "
                                "(choose another output folder, or pass --force)", file=str(p))
            continue
        if rel not in ours:
            raise RnncError("was not written by rnnc; rnnc will not overwrite it "
                            "(choose another output folder, or pass --force)", file=str(p))
        if _current_hash(p) != ours[rel]:
            raise RnncError("was changed since rnnc wrote it; rnnc will not overwrite your edits "
                            "(pass --force to replace it)", file=str(p))


def _write_atomic(p: Path, data: bytes) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_output(out: Path, files: dict[str, bytes], model_doc: dict, *, force: bool = False) -> dict[str, str]:
    """Write the generated files and the manifest (listing them) into OUT; returns the list."""
    out = Path(out)
    _make_folder(out)
    try:
        with locked(out, exclusive=True):
            previous = _previous_files(out)
            if not force:
                _check_ownership(out, files, previous)
            listing = {rel: sha256(data) for rel, data in sorted(files.items())}
            for rel, data in sorted(files.items()):
                p = out / rel
                if _current_hash(p) != listing[rel]:
                    _write_atomic(p, data)
            for rel, digest in sorted((previous or {}).items()):
                p = out / rel
                if rel not in listing and _current_hash(p) == digest:
                    p.unlink()
            manifest = {"format": FORMAT, "version": VERSION, "files": listing, "model": model_doc}
            _write_atomic(out / MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    except OSError as e:
        raise _os_error(e, out, "write the output folder") from None
    return listing


def read_manifest(out: Path) -> tuple[dict, dict[str, str], bytes]:
    """(model document, file listing, arrays.npz bytes), read consistently under the lock."""
    out = Path(out)
    mpath = out / MANIFEST
    if not mpath.is_file():
        raise RnncError("no manifest.json here; is this a folder made by 'rnnc compile'?", file=str(out))
    with locked(out, exclusive=False):
        try:
            doc = json.loads(mpath.read_text())
        except (OSError, ValueError) as e:
            raise RnncError(f"cannot read the manifest ({type(e).__name__})", file=str(mpath)) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise RnncError("not an rnnc manifest", file=str(mpath))
        if doc.get("version") != VERSION:
            raise RnncError(f"manifest version {doc.get('version')!r} is not {VERSION}: recompile the model "
                            "with this rnnc", file=str(mpath))
        files, model = doc.get("files"), doc.get("model")
        if not isinstance(files, dict) or not isinstance(model, dict) or ARRAYS not in files or \
                not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            raise RnncError("the manifest lacks its file list or model", file=str(mpath))
        for rel in files:
            if Path(rel).is_absolute() or ".." in Path(rel).parts:
                raise RnncError(f"the manifest lists a file outside its folder ('{rel[:80]}')", file=str(mpath))
        try:
            arrays = (out / ARRAYS).read_bytes()
        except OSError as e:
            raise _os_error(e, out / ARRAYS, "read the arrays") from None
    if sha256(arrays) != files[ARRAYS]:
        raise RnncError("does not match manifest.json (changed after compile, or written by another compile); "
                        "compile again", file=str(out / ARRAYS))
    return model, files, arrays


def read_files(out: Path, names: list[str]) -> dict[str, bytes]:
    """The listed files' bytes, read together under the shared lock (a consistent snapshot)."""
    out = Path(out)
    with locked(out, exclusive=False):
        data = {}
        for rel in names:
            try:
                data[rel] = (out / rel).read_bytes()
            except OSError as e:
                raise RnncError(f"a generated file is missing or unreadable ({e.strerror}); compile again",
                                file=str(out / rel)) from None
    return data
