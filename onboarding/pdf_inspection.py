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
from collections.abc import Iterator
from enum import StrEnum
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHILD_ENVIRONMENT = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "TMPDIR")

# An agreement of at most a few MiB needs far less than this; a legitimate
# scan never comes near, while a compression bomb stops at these marks.
TIMEOUT_SECONDS = 10
CPU_SECONDS = 5
MEMORY_BYTES = 512 * 1024 * 1024
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
STREAM_START = re.compile(rb">>%b{0,8}stream(?:\r\n|\n|\r)" % SPACE)
STREAM_END = b"endstream"
RAW_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]{1,127})")
NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


class Problem(StrEnum):
    """Why an agreement PDF is refused; the order is the order of reporting."""

    NOT_PDF = "not_pdf_content"
    DATA_BEFORE_HEADER = "data_before_header"
    TRUNCATED = "truncated"
    TRAILING_DATA = "trailing_data"
    UNREADABLE = "unreadable"
    ENCRYPTED = "encrypted"
    NO_PAGES = "no_pages"
    TOO_COMPLEX = "too_complex"
    JAVASCRIPT = "javascript"
    LAUNCH_ACTION = "launch_action"
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
# Whether a bare name was a key or a value is lost outside the parsed graph;
# /OpenAction is left out because its harmless form, a page to show first,
# is what many office suites write.
ACTIVE_RAW_NAMES = {**ACTIVE_KEYS, **ACTIVE_VALUES}


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
    framing = framing_problem(data)
    if framing is not None:
        return [framing]

    try:
        with apply_configuration(**PYPDF_LIMITS):
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
            found = active_content(reader) | active_raw_names(data)
    except Exception as error:
        # A damaged file can fail anywhere in pypdf, with any exception, and
        # pypdf wraps some of those that mean "too much work" in others.
        if any(isinstance(cause, EXHAUSTION) for cause in causes(error)):
            return [Problem.TOO_COMPLEX]
        # Encryption pypdf cannot handle still deserves its own message.
        if b"/Encrypt" in data:
            return [Problem.ENCRYPTED]
        return [Problem.UNREADABLE]
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
    """Check that the bytes start with a PDF header and end at an end marker."""
    if (problem := header_problem(data)) is not None:
        return problem

    end = data.rfind(END_MARKER)
    if end < 0:
        # Objects without an end mean the file was cut short; without
        # objects it only borrowed the signature.
        return Problem.TRUNCATED if INDIRECT_OBJECT.search(data) else Problem.NOT_PDF

    # Incremental updates end in their own marker, so only what follows the
    # last one counts; the start of an unfinished update is a cut-off file.
    rest = data[end + len(END_MARKER) :]
    if not rest.strip(PDF_WHITESPACE):
        return None
    if INDIRECT_OBJECT.search(rest) or b"startxref" in rest:
        return Problem.TRUNCATED
    return Problem.TRAILING_DATA


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
    # An open action may be a page to show first, which is harmless, or an
    # action dictionary, which runs when the document opens.
    open_action = dictionary.get("/OpenAction")
    if open_action is not None and isinstance(
        open_action.get_object(), DictionaryObject
    ):
        found.add(Problem.OPEN_ACTION)
    return found


def active_raw_names(data: bytes) -> set[Problem]:
    """Name active content found in the raw bytes outside compressed streams.

    This covers objects pypdf never reaches: left over from earlier
    revisions, missing from the cross-reference table, or inside an
    uncompressed object stream nothing points at.
    """
    found = set()
    for text in readable_parts(data):
        for match in RAW_NAME.finditer(text):
            name = "/" + unescaped(match[1]).decode("latin-1")
            problem = ACTIVE_RAW_NAMES.get(name)
            if problem is not None:
                found.add(problem)
    return found


def readable_parts(data: bytes) -> Iterator[bytes]:
    """Yield the file in pieces, leaving out stream bodies other than those
    of uncompressed object streams.

    Other bodies are page contents, which never act, or binary data, where a
    short name like /JS turns up by chance.
    """
    position = 0
    while (start := STREAM_START.search(data, position)) is not None:
        body_end = data.find(STREAM_END, start.end())
        if body_end < 0:
            body_end = len(data)
        object_start = max(data.rfind(b"obj", position, start.start()), position)
        yield data[position : start.end()]
        if is_plain_object_stream(data[object_start : start.end()]):
            yield data[start.end() : body_end]
        position = body_end
    yield data[position:]


def is_plain_object_stream(dictionary: bytes) -> bool:
    names = {unescaped(match[1]) for match in RAW_NAME.finditer(dictionary)}
    return b"ObjStm" in names and b"Filter" not in names


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

    problems = find_problems(sys.stdin.buffer.read())
    json.dump([problem.value for problem in problems], sys.stdout)


if __name__ == "__main__":
    main()
