"""Look inside an agreement PDF for what makes it unusable or unsafe to pass on.

A crafted PDF can make any parser inflate gigabytes, recurse without end or
walk millions of objects. The inspection therefore runs in a short-lived child
process with its own memory and CPU limits, and the caller only waits, for a
bounded time, for its verdict. Page content streams are never decoded: what a
page shows does not matter here, and they are where most of the bytes are.
"""

import argparse
import json
import logging
import os
import re
import resource
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Iterator
from enum import StrEnum
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError, PdfReadError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
    read_object,
)

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHILD_ENVIRONMENT = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "TMPDIR")

# An agreement of at most a few MiB needs far less than this; a legitimate
# scan never comes near, while a compression bomb stops at these marks.
TIMEOUT_SECONDS = 10
CPU_SECONDS = 5
MEMORY_BYTES = 512 * 1024 * 1024
# How a child that ran out of memory says so: with nothing to spare, not even
# for a traceback, it leaves without a word.
EXIT_OUT_OF_MEMORY = 3
PYPDF_LIMITS = {
    "zlib_maximum_output_length": 32_000_000,
    "lzw_maximum_output_length": 32_000_000,
    "run_length_maximum_output_length": 32_000_000,
    "brotli_maximum_output_length": 32_000_000,
    "array_based_stream_maximum_output_length": 32_000_000,
    "stream_decoding_work_maximum_length": 64_000_000,
}
XREF_STREAM_MAXIMUM_ENTRIES = 200_000
MAXIMUM_OBJECTS = 50_000
NODE_BUDGET = 1_000_000

PDF_WHITESPACE = b"\x00\t\n\x0c\r "
HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
HEADER_WINDOW = 1024
END_MARKER = b"%%EOF"
SPACE = rb"[\x00\t\n\x0c\r ]"
INDIRECT_OBJECT = re.compile(
    rb"(?<![0-9])[0-9]{1,10}%b{1,8}[0-9]{1,5}%b{1,8}obj" % (SPACE, SPACE)
)
# What may follow an end marker other than the last: blanks, comments, then
# the next revision, which opens with an object or a cross-reference table.
GAP = re.compile(rb"(?:%b|%%[^\r\n]*)*" % SPACE)
REVISION_START = re.compile(
    rb"[0-9]{1,10}%b{1,8}[0-9]{1,5}%b{1,8}obj|xref%b" % (SPACE, SPACE, SPACE)
)
STREAM_START = re.compile(rb">>%b{0,8}stream(?:\r\n|\n|\r)" % SPACE)
STREAM_END = b"endstream"
RAW_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]{1,127})")
NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
TRAILER = re.compile(rb"trailer%b*<<" % SPACE)
# The signatures other programs look for, wherever in a file they are: the
# records of a ZIP archive (and so of office documents) and HTML markup.
FOREIGN_SIGNATURE = re.compile(
    rb"PK\x03\x04|PK\x01\x02|PK\x05\x06|<html|<script|<!doctype", re.IGNORECASE
)


class Problem(StrEnum):
    """Why an agreement PDF is refused; the order is the order of reporting."""

    NOT_PDF = "not_pdf_content"
    DATA_BEFORE_HEADER = "data_before_header"
    TRUNCATED = "truncated"
    TRAILING_DATA = "trailing_data"
    FOREIGN_DATA = "foreign_data"
    UNREADABLE = "unreadable"
    ENCRYPTED = "encrypted"
    NO_PAGES = "no_pages"
    TOO_COMPLEX = "too_complex"
    EXPANDS_TOO_FAR = "expands_too_far"
    JAVASCRIPT = "javascript"
    LAUNCH_ACTION = "launch_action"
    EXTERNAL_ACTION = "external_action"
    EMBEDDED_FILE = "embedded_file"
    XFA_FORM = "xfa_form"
    RICH_MEDIA = "rich_media"
    OPEN_ACTION = "open_action"
    ADDITIONAL_ACTIONS = "additional_actions"


# Dictionary keys and name values that mark active content wherever they
# appear, so a script hidden in an unusual place is found as well.
ACTIVE_KEYS = {
    "/JS": Problem.JAVASCRIPT,
    "/JavaScript": Problem.JAVASCRIPT,
    "/EmbeddedFiles": Problem.EMBEDDED_FILE,
    "/EF": Problem.EMBEDDED_FILE,
    "/XFA": Problem.XFA_FORM,
    "/RichMediaContent": Problem.RICH_MEDIA,
    "/RichMediaSettings": Problem.RICH_MEDIA,
    "/AA": Problem.ADDITIONAL_ACTIONS,
}
ACTIVE_VALUES = {
    "/JavaScript": Problem.JAVASCRIPT,
    "/Launch": Problem.LAUNCH_ACTION,
    "/EmbeddedFile": Problem.EMBEDDED_FILE,
    "/FileAttachment": Problem.EMBEDDED_FILE,
    "/RichMedia": Problem.RICH_MEDIA,
}
# Actions that run code, reach outside the document or play media. /S also
# names page label styles, transitions and structure roles, so these count
# only as the /S of a dictionary, the one place an action type is written.
ACTION_TYPES = {
    "/JavaScript": Problem.JAVASCRIPT,
    "/Launch": Problem.LAUNCH_ACTION,
    "/GoToR": Problem.EXTERNAL_ACTION,
    "/GoToE": Problem.EXTERNAL_ACTION,
    "/ImportData": Problem.EXTERNAL_ACTION,
    "/SubmitForm": Problem.EXTERNAL_ACTION,
    "/Rendition": Problem.RICH_MEDIA,
    "/Movie": Problem.RICH_MEDIA,
    "/Sound": Problem.RICH_MEDIA,
    "/GoTo3DView": Problem.RICH_MEDIA,
    "/RichMediaExecute": Problem.RICH_MEDIA,
}
MEDIA_ANNOTATIONS = {"/Screen", "/Movie", "/Sound", "/3D", "/RichMedia"}
# A link may lead to a web page, a mail or a phone call. Any other target,
# a relative one included, is resolved against the file's own folder or
# handed to whichever program claims its scheme.
SAFE_URI_SCHEMES = {"http", "https", "mailto", "tel"}
URI_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
URI_DROPPED = re.compile(r"[\t\n\r]")
C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
# Whether a bare name was a key or a value is lost outside the parsed graph;
# /OpenAction is left out because its harmless form, a page to show first,
# is what many office suites write, and /Movie and /Sound because they also
# name the entries that hold a clip or a sound.
ACTIVE_RAW_NAMES = {
    **ACTIVE_KEYS,
    **ACTIVE_VALUES,
    **{
        name: problem
        for name, problem in ACTION_TYPES.items()
        if name not in ("/Movie", "/Sound")
    },
}


class TooComplex(Exception):
    """The document needs more work to inspect than any agreement would."""


EXHAUSTION = (LimitReachedError, TooComplex, RecursionError, MemoryError)


def inspect_pdf(
    data: bytes,
    *,
    timeout: float = TIMEOUT_SECONDS,
    cpu_seconds: int = CPU_SECONDS,
    memory_bytes: int = MEMORY_BYTES,
) -> list[Problem]:
    """Return what is wrong with a PDF, inspected in a limited child process."""
    command = [
        sys.executable,
        "-m",
        __name__,
        f"--cpu-seconds={cpu_seconds}",
        f"--memory-bytes={memory_bytes}",
    ]
    try:
        finished = subprocess.run(  # noqa: S603 - our own module, fixed arguments
            command,
            input=data,
            capture_output=True,
            timeout=timeout,
            cwd=PROJECT_ROOT,
            env=child_environment(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        logger.warning("A PDF inspection ran past %s seconds; refused", timeout)
        return [Problem.TOO_COMPLEX]

    if finished.returncode == EXIT_OUT_OF_MEMORY:
        logger.info(
            "A PDF inspection needed more than %d MiB; refused as too complex",
            memory_bytes >> 20,
        )
        return [Problem.TOO_COMPLEX]
    if finished.returncode != 0:
        logger.warning(
            "A PDF inspection ended with exit status %s; refused: %s",
            finished.returncode,
            finished.stderr[-2000:].decode(errors="replace"),
        )
        return [Problem.TOO_COMPLEX]
    try:
        return [Problem(code) for code in json.loads(finished.stdout)]
    except ValueError:
        logger.error("A PDF inspection answered %r; refused", finished.stdout[:200])
        return [Problem.TOO_COMPLEX]


def child_environment() -> dict[str, str]:
    # The child needs no secrets, so a flaw in the parser finds none there.
    return {key: os.environ[key] for key in CHILD_ENVIRONMENT if key in os.environ}


def find_problems(data: bytes) -> list[Problem]:
    """Return what is wrong with a PDF, inspected in this process."""
    problem = framing_problem(data) or foreign_data_problem(data)
    if problem is not None:
        return [problem]

    try:
        with apply_configuration(**PYPDF_LIMITS):
            return parsed_problems(data)
    except Exception as error:
        # A damaged file can fail anywhere in pypdf, with any exception, and
        # pypdf wraps some of those that mean "too much work" in others.
        found = list(causes(error))
        if any(expands_too_far(cause) for cause in found):
            return [Problem.EXPANDS_TOO_FAR]
        if any(isinstance(cause, EXHAUSTION) for cause in found):
            return [Problem.TOO_COMPLEX]
        # Encryption pypdf cannot handle still deserves its own message.
        if declares_encryption(data):
            return [Problem.ENCRYPTED]
        return [Problem.UNREADABLE]


def expands_too_far(error: BaseException) -> bool:
    """Whether pypdf stopped inflating a stream at the limits set above.

    pypdf raises the same error for every limit it keeps; its words tell the
    limits on inflated data apart from those on structure.
    """
    text = str(error)
    return isinstance(error, LimitReachedError) and (
        "while decompressing" in text or "decoding work" in text
    )


def parsed_problems(data: bytes) -> list[Problem]:
    """Read the PDF with pypdf and name what is wrong with its objects."""
    reader = PdfReader(
        BytesIO(data),
        strict=True,
        xref_stream_maximum_entries=XREF_STREAM_MAXIMUM_ENTRIES,
    )
    if reader.is_encrypted:
        return [Problem.ENCRYPTED]
    if listed_objects(reader) > MAXIMUM_OBJECTS:
        raise TooComplex(f"more than {MAXIMUM_OBJECTS} objects")
    if len(reader.pages) == 0:
        return [Problem.NO_PAGES]

    found = active_content(reader)
    found |= active_raw_names(data)
    found |= object_stream_names(data, reader)
    return sorted(found, key=list(Problem).index)


def causes(error: BaseException) -> Iterator[BaseException]:
    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def header_problem(data: bytes) -> Problem | None:
    """Check that the bytes start with a PDF header."""
    if HEADER.match(data):
        return None
    # Readers accept a header anywhere in the first KiB, which lets one file
    # be read as a PDF by one program and as something else by another.
    if HEADER.search(data, 0, HEADER_WINDOW):
        return Problem.DATA_BEFORE_HEADER
    return Problem.NOT_PDF


def framing_problem(data: bytes) -> Problem | None:
    """Check that the bytes start with a PDF header, end at an end marker and
    hold nothing but revisions between the markers."""
    if (problem := header_problem(data)) is not None:
        return problem

    end = data.rfind(END_MARKER)
    if end < 0:
        # Objects without an end mean the file was cut short; without
        # objects it only borrowed the signature.
        return Problem.TRUNCATED if INDIRECT_OBJECT.search(data) else Problem.NOT_PDF

    # Incremental updates end in their own marker, so only what follows the
    # last one counts; the start of an unfinished update is a cut-off file.
    after = end + len(END_MARKER)
    if data[after:].strip(PDF_WHITESPACE):
        return (
            Problem.TRUNCATED if opens_revision(data, after) else Problem.TRAILING_DATA
        )
    if not earlier_markers_open_revisions(data, end):
        return Problem.TRAILING_DATA
    return None


def opens_revision(data: bytes, position: int) -> bool:
    """Tell whether a revision starts at `position`, after blanks and comments."""
    position = GAP.match(data, position).end()
    return REVISION_START.match(data, position) is not None


def earlier_markers_open_revisions(data: bytes, last: int) -> bool:
    """Check that each end marker before the last is followed by a revision.

    Data put behind a marker, and followed by a fresh startxref and marker,
    is skipped by PDF readers, so a file can be a PDF and an archive at once.
    """
    for start, end in readable_spans(data):
        marker = data.find(END_MARKER, start, min(end, last))
        while marker >= 0:
            after = marker + len(END_MARKER)
            # Only comments, the last marker among them, may follow a marker
            # that a writer doubled.
            if GAP.match(data, after).end() < len(data) and not opens_revision(
                data, after
            ):
                return False
            marker = data.find(END_MARKER, after, min(end, last))
    return True


def foreign_data_problem(data: bytes) -> Problem | None:
    """Find the signature of another format outside stream bodies, or an
    archive that ZIP tools open."""
    # Stream bodies are left out: images and fonts may hold any bytes.
    for part in readable_parts(data):
        if FOREIGN_SIGNATURE.search(part):
            return Problem.FOREIGN_DATA
    # ZIP tools look for an archive's end record anywhere in the last 64 KiB,
    # so a whole archive can hide in a stream body that the search skips.
    if opens_as_archive(data):
        return Problem.FOREIGN_DATA
    return None


def opens_as_archive(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return bool(archive.infolist())
    except zipfile.BadZipFile:
        return False
    except (NotImplementedError, UnicodeDecodeError):
        # An entry Python cannot decode is still an entry to other tools.
        return True


def listed_objects(reader: PdfReader) -> int:
    in_tables = sum(len(numbers) for numbers in reader.xref.values())
    return in_tables + len(reader.xref_objStm)


def active_content(reader: PdfReader) -> set[Problem]:
    """Walk every object, reachable or only listed, and name its active parts."""
    pending = [reader.trailer]
    for generation, numbers in reader.xref.items():
        pending += [IndirectObject(number, generation, reader) for number in numbers]
    pending += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]

    found = set()
    seen = set()
    budget = NODE_BUDGET
    while pending:
        node = pending.pop()
        budget -= 1
        if budget < 0:
            raise TooComplex(f"more than {NODE_BUDGET} objects and entries")
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                continue
            seen.add((node.idnum, node.generation))
            node = node.get_object()

        if isinstance(node, DictionaryObject):
            found |= dictionary_problems(node)
            pending += node.values()
        elif isinstance(node, ArrayObject):
            pending += node
        elif isinstance(node, NameObject) and node in ACTIVE_VALUES:
            found.add(ACTIVE_VALUES[node])
    return found


def dictionary_problems(dictionary: DictionaryObject) -> set[Problem]:
    found = {ACTIVE_KEYS[key] for key in dictionary if key in ACTIVE_KEYS}
    found |= action_problems(dictionary)

    subtype = resolved(dictionary, "/Subtype")
    if isinstance(subtype, NameObject) and subtype in MEDIA_ANNOTATIONS:
        found.add(Problem.RICH_MEDIA)

    # An open action may be a page to show first, which is harmless, or an
    # action dictionary, which runs when the document opens.
    if isinstance(resolved(dictionary, "/OpenAction"), DictionaryObject):
        found.add(Problem.OPEN_ACTION)
    return found


def action_problems(dictionary: DictionaryObject) -> set[Problem]:
    """Name what an action does, when it runs code, reaches out or plays media."""
    kind = resolved(dictionary, "/S")
    if not isinstance(kind, NameObject):
        return set()

    if kind == "/URI":
        problem = uri_problem(resolved(dictionary, "/URI"))
    elif kind == "/Thread":
        # A thread action names a file only when the thread is in another one.
        problem = Problem.EXTERNAL_ACTION if "/F" in dictionary else None
    else:
        problem = ACTION_TYPES.get(kind)
    return set() if problem is None else {problem}


def uri_problem(target: PdfObject | None) -> Problem | None:
    """Tell whether a link leads anywhere but a web page, a mail or a call."""
    if target is None:
        return None
    if isinstance(target, bytes):
        target = target.decode("latin-1")
    if not isinstance(target, str):
        return Problem.EXTERNAL_ACTION

    # Viewers pass links to a browser, which skips leading blanks and control
    # characters and drops tabs and line breaks anywhere: "java\tscript:".
    cleaned = URI_DROPPED.sub("", target).lstrip(C0_AND_SPACE)
    scheme = URI_SCHEME.match(cleaned)
    if scheme is None:
        return Problem.EXTERNAL_ACTION
    if scheme[1].lower() in SAFE_URI_SCHEMES:
        return None
    if scheme[1].lower() == "javascript":
        return Problem.JAVASCRIPT
    return Problem.EXTERNAL_ACTION


def resolved(dictionary: DictionaryObject, key: str) -> PdfObject | None:
    value = dictionary.get(key)
    return None if value is None else value.get_object()


def active_raw_names(data: bytes) -> set[Problem]:
    """Name active content found in the raw bytes outside compressed streams.

    This covers objects pypdf never reaches: left over from earlier
    revisions, missing from the cross-reference table, or inside an
    uncompressed object stream nothing points at.
    """
    found = set()
    for text in readable_parts(data):
        found |= names_in(text)
    return found


def object_stream_names(data: bytes, reader: PdfReader) -> set[Problem]:
    """Name active content in every compressed object stream in the raw bytes.

    The cross-reference tables may leave a stream out, or list only some of
    the objects in it, while a reader that repairs a file finds them all.
    """
    found = set()
    for offset in compressed_object_streams(data):
        reader.stream.seek(offset)
        reader.read_object_header(reader.stream)
        stream = read_object(reader.stream, reader)
        if not isinstance(stream, StreamObject):
            raise PdfReadError(f"The object at offset {offset} is not a stream")
        found |= names_in(stream.get_data())
    return found


def compressed_object_streams(data: bytes) -> Iterator[int]:
    """Yield the offset of each object whose dictionary makes it a compressed
    object stream."""
    for offset, dictionary in raw_dictionaries(data):
        names = names_of(dictionary)
        if b"ObjStm" in names and b"Filter" in names:
            yield offset


def declares_encryption(data: bytes) -> bool:
    """Tell from the raw trailers whether a file pypdf cannot read is encrypted."""
    # Only a trailer's /Encrypt entry encrypts a file; the same name anywhere
    # else, or in a file without a trailer, says nothing.
    return any(b"Encrypt" in names_of(trailer) for trailer in raw_trailers(data))


def raw_trailers(data: bytes) -> Iterator[bytes]:
    """Yield each classic trailer and each cross-reference stream dictionary."""
    for start, end in readable_spans(data):
        for keyword in TRAILER.finditer(data, start, end):
            stop = data.find(b"startxref", keyword.end(), end)
            yield data[keyword.end() : stop if stop >= 0 else end]
    for _, dictionary in raw_dictionaries(data):
        if b"XRef" in names_of(dictionary):
            yield dictionary


def raw_dictionaries(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield the offset of each object header outside stream bodies, with the
    bytes that follow it up to its end, its stream or the next header."""
    for start, end in readable_spans(data):
        headers = list(INDIRECT_OBJECT.finditer(data, start, end))
        for index, header in enumerate(headers, start=1):
            limit = headers[index].start() if index < len(headers) else end
            stop = data.find(b"endobj", header.end(), limit)
            yield header.start(), data[header.end() : stop if stop >= 0 else limit]


def readable_spans(data: bytes) -> Iterator[tuple[int, int]]:
    """Yield where the file's pieces start and end, leaving out stream bodies
    other than those of uncompressed object streams.

    Other bodies are page contents, which never act, or binary data, where a
    short name like /JS turns up by chance.
    """
    position = 0
    while (start := STREAM_START.search(data, position)) is not None:
        body_end = data.find(STREAM_END, start.end())
        if body_end < 0:
            body_end = len(data)
        object_start = max(data.rfind(b"obj", position, start.start()), position)
        yield position, start.end()
        if is_plain_object_stream(data[object_start : start.end()]):
            yield start.end(), body_end
        position = body_end
    yield position, len(data)


def readable_parts(data: bytes) -> Iterator[bytes]:
    for start, end in readable_spans(data):
        yield data[start:end]


def is_plain_object_stream(dictionary: bytes) -> bool:
    names = names_of(dictionary)
    return b"ObjStm" in names and b"Filter" not in names


def names_in(text: bytes) -> set[Problem]:
    """Name the active content that the names written in `text` mark."""
    found = set()
    for name in names_of(text):
        problem = ACTIVE_RAW_NAMES.get("/" + name.decode("latin-1"))
        if problem is not None:
            found.add(problem)
    return found


def names_of(text: bytes) -> set[bytes]:
    return {unescaped(match[1]) for match in RAW_NAME.finditer(text)}


def unescaped(name: bytes) -> bytes:
    return NAME_ESCAPE.sub(lambda escape: bytes([int(escape[1], 16)]), name)


def limit_resources(*, cpu_seconds: int, memory_bytes: int) -> None:
    # The soft CPU limit sends SIGXCPU, the hard one a kill a second later;
    # neither may leave a core file behind.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main() -> None:
    parser = argparse.ArgumentParser(description="Inspect a PDF read from stdin.")
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--memory-bytes", type=int, required=True)
    arguments = parser.parse_args()

    limit_resources(
        cpu_seconds=arguments.cpu_seconds, memory_bytes=arguments.memory_bytes
    )
    # pypdf reports what it repairs as warnings; the verdict is all we need.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")

    # A finaliser that fails for want of memory would be reported through a
    # hook that needs memory too. Here only the exit status and the verdict
    # reach the parent, so such reports would be noise at best.
    sys.unraisablehook = ignore_unraisable

    try:
        problems = find_problems(sys.stdin.buffer.read())
        answer = json.dumps([problem.value for problem in problems]).encode()
    except MemoryError:
        # Handling the parser's own MemoryError ran short as well.
        os._exit(EXIT_OUT_OF_MEMORY)

    # The parsed document's cycles may still hold the memory until a
    # collection: write straight to the descriptor and skip the interpreter's
    # shutdown, whose flushing and clean-up could run short and fail late.
    # The answer, a few short codes, is far below the size a pipe writes
    # whole; were it cut short, the parent could not read it and would refuse.
    os.write(sys.stdout.fileno(), answer)
    os._exit(0)


def ignore_unraisable(unraisable: "sys.UnraisableHookArgs") -> None:
    pass


if __name__ == "__main__":
    main()
