"""What a user hands the command line, checked before it is used: database paths, output paths, input files.

Each check raises InputError with a one-line message naming the flag, the value and what would work, where
the OS or DuckDB would otherwise answer "Is a directory", "File exists" or a path it never wrote. Files are
read within a byte limit, and a file that is not text (an image, a PDF, an archive) is refused, not printed.
No Prefect, no DuckDB here.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

from storage.db import refuse_other_files

# "s3://", "gs://", "http://", "file://": export writes through the local file system only.
_URL_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# First bytes of the binary files people most often pass by mistake.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (or a .docx, .xlsx, .epub)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x1f\x8b", "gzip-compressed; decompress it first (gunzip)"),
    (b"\xfd7zXZ\x00", "xz-compressed; decompress it first (unxz)"),
    (b"(\xb5/\xfd", "zstd-compressed; decompress it first (unzstd)"),
    (b"7z\xbc\xaf'\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program (ELF)"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
    (b"OggS", "an Ogg audio or video file"),
    (b"\x00asm", "a WebAssembly module"),
)
_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")  # C0 controls other than whitespace and ESC
_SNIFF_CHARS = 65_536


class InputError(ValueError):
    """A path or file given on the command line cannot be used as it is."""


def database_path(value: str, *, flag: str = "--db", must_exist: bool) -> Path:
    """A usable path for a DuckDB file: not empty, not a directory, under a directory (not a file)."""
    if not value.strip():
        raise InputError(f"{flag} is empty; pass the path of a DuckDB file, e.g. {flag} news.duckdb")
    path = Path(value).expanduser()
    if path.is_dir():
        raise InputError(f"{flag} {value}: is a directory; pass a DuckDB file in it, e.g. {path / 'news.duckdb'}")
    _no_file_in_the_way(path, flag=flag, value=value)
    if path.exists() and not path.is_file():
        raise InputError(f"{flag} {value}: is not a regular file; pass the path of a DuckDB file")
    if must_exist and not path.exists():
        raise InputError(f"{flag} {value}: no such database; create it with `copydesk run --db {value}` first")
    refuse_other_files(path)
    if not path.parent.is_dir():
        try:  # now, with the path named, rather than as a bare OSError once Prefect has started
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{flag} {value}: cannot create its folder {path.parent}: {exc.strerror}") from None
    return path


def output_path(value: str, *, flag: str = "--out") -> Path:
    """The absolute local path a file will be written to; URLs and directories are refused."""
    if not value.strip():
        raise InputError(f"{flag} is empty; pass the file to write, e.g. {flag} articles.parquet")
    if _URL_LIKE.match(value.strip()):
        raise InputError(
            f"{flag} {value}: looks like a URL, and copydesk writes local files only; write a local file "
            "and copy it there (e.g. with aws s3 cp, gcloud storage cp)"
        )
    path = Path(value).expanduser().resolve()
    if path.is_dir():
        raise InputError(f"{flag} {value}: is a directory; name the file to write, e.g. {path / 'articles.parquet'}")
    _no_file_in_the_way(path, flag=flag, value=value)
    return path


def _no_file_in_the_way(path: Path, *, flag: str, value: str) -> None:
    """Refuse a path whose nearest existing ancestor is a file: nothing can be created under it."""
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{flag} {value}: {parent} is a file, not a directory")
            return


def read_document(name: str, *, max_bytes: int) -> bytes:
    """The bytes of a file ('-': standard input), refused without reading it whole when over `max_bytes`."""
    if name == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
    else:
        try:
            with open(name, "rb") as file:
                info = os.fstat(file.fileno())
                if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
                    raise InputError(_too_big(name, f"{info.st_size:,} bytes, over", max_bytes))
                data = file.read(max_bytes + 1)
        except IsADirectoryError:
            raise InputError(f"{name}: is a directory; pass an HTML or plain-text file") from None
        except FileNotFoundError:
            raise InputError(f"{name}: no such file") from None
        except OSError as exc:
            raise InputError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise InputError(_too_big(name, "more than", max_bytes))
    return data


def _too_big(name: str, size: str, max_bytes: int) -> str:
    shown = "standard input" if name == "-" else name
    return f"{shown}: {size} max_bytes={max_bytes:,}; pass --max-bytes N to read bigger files"


def binary_kind(data: bytes, text: str) -> str | None:
    """What a file is when it is not text or HTML ("a PNG image"), from its bytes and their decoded text."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if _BZIP2.match(data):
        return "bzip2-compressed; decompress it first (bunzip2)"
    if data[8:12] == b"DUCK":
        return "a DuckDB database"
    if data[4:8] == b"ftyp":
        return "an MP4, MOV or HEIC file"
    if data.startswith(b"RIFF") and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "a WebP, WAV or AVI file"
    sample = text[:_SNIFF_CHARS]
    if "\x00" in sample:
        return "binary: it has NUL bytes (UTF-16 text needs a byte-order mark)"
    controls = len(_CONTROL.findall(sample))
    if controls > len(sample) / 100:
        return f"binary: {controls:,} of its first {len(sample):,} characters are control characters"
    if sample.count("\ufffd") > len(sample) / 4:
        return "not decodable: most of its bytes are not valid in its declared encoding"
    return None


def refuse_binary(name: str, data: bytes, text: str) -> None:
    """InputError when the file is not text or HTML."""
    kind = binary_kind(data, text)
    if kind:
        shown = "standard input" if name == "-" else name
        raise InputError(f"{shown} is not text or HTML: {kind}")
