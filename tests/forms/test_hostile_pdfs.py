"""An agreement is read as a PDF, in a process of its own with limits, and
refused with a reason of its own when it is damaged, locked, empty of pages,
active or made to exhaust the reader."""

import io
import resource
import signal
import time
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from onboarding.agreements import REFUSALS, inspect_agreement
from onboarding.pdf_inspection import Problem, find_problems, inspect_pdf
from tests import documents

LIMIT = 2 * 1024 * 1024


def inspect(content: bytes):
    return inspect_agreement(
        SimpleUploadedFile("agreement.pdf", content), max_bytes=LIMIT
    )


def refusal_of(content: bytes) -> tuple[list[str], list[str]]:
    with pytest.raises(ValidationError) as refused:
        inspect(content)
    return [error.code for error in refused.value.error_list], refused.value.messages


@pytest.mark.parametrize(
    "hostile", documents.HOSTILE_FILES, ids=[h.label for h in documents.HOSTILE_FILES]
)
def test_it_refuses_each_hostile_file_with_its_own_code_and_message(hostile):
    codes, [message] = refusal_of(hostile.build())

    assert codes == [hostile.code]
    assert hostile.says in message


def test_every_problem_has_a_message_of_its_own():
    messages = {str(message) for message in REFUSALS.values()}

    assert set(REFUSALS) == set(Problem)
    assert len(messages) == len(Problem)


def test_it_refuses_an_empty_file():
    codes, [message] = refusal_of(b"")

    assert codes == ["empty"]
    assert message == "The chosen file is empty."


def test_it_refuses_a_file_one_byte_over_the_limit():
    codes, [message] = refusal_of(documents.padded_pdf(LIMIT + 1))

    assert codes == ["too_large"]
    assert "may be at most 2.0\xa0MB" in message


def test_it_refuses_a_pdf_that_opens_without_a_password_but_is_encrypted():
    content = documents.encrypted_pdf(user_password="", owner_password="owner")
    reader = PdfReader(io.BytesIO(content))
    assert reader.is_encrypted
    assert len(reader.pages) == 1

    codes, _ = refusal_of(content)

    assert codes == ["encrypted"]


def test_it_accepts_a_pdf_made_by_pypdfs_own_writer():
    content = documents.written_by_pypdf()

    assert inspect(content).sha256 == documents.sha256(content)


def test_it_accepts_a_pdf_with_an_incremental_update():
    content = documents.incrementally_updated()

    assert content.startswith(documents.minimal_pdf())
    assert content.count(b"%%EOF") == 2
    assert inspect(content).size == len(content)


def test_it_accepts_a_pdf_padded_inside_to_exactly_the_limit():
    content = documents.padded_pdf(LIMIT)

    assert len(content) == LIMIT
    assert content.endswith(b"%%EOF\n")
    assert inspect(content).size == LIMIT


def test_it_accepts_whitespace_after_the_end_marker():
    assert inspect(documents.minimal_pdf() + b"\r\n\x00\x00 \n").name == "agreement.pdf"


def test_it_accepts_an_open_action_that_only_names_the_first_page():
    # Office suites write this; it shows a page and runs nothing.
    assert inspect(documents.first_page_open_action_pdf()).name == "agreement.pdf"


def test_it_accepts_a_packed_pdf_without_active_content():
    assert inspect(documents.agreement_with(packed=True)).name == "agreement.pdf"


def test_it_names_every_kind_of_active_content_at_once():
    content = documents.agreement_with(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] "
        b"/A << /S /Launch /F (calc.exe) >> >>",
        b"<< /S /JavaScript /JS (%s) >>" % documents.SCRIPT,
        catalog=b"/OpenAction 7 0 R ",
        page=b"/Annots [6 0 R] ",
    )

    codes, messages = refusal_of(content)

    assert codes == ["javascript", "launch_action", "open_action"]
    assert "JavaScript" in messages[0]
    assert "another program" in messages[1]
    assert "as soon as it is opened" in messages[2]


def test_it_calls_a_cut_off_incremental_update_cut_short():
    update = documents.incrementally_updated()
    original = documents.minimal_pdf()

    codes, _ = refusal_of(update[: len(original) + 40])

    assert codes == ["truncated"]


def test_it_calls_a_missing_end_marker_cut_short():
    codes, _ = refusal_of(documents.minimal_pdf()[:-4])

    assert codes == ["truncated"]


def test_it_does_not_mistake_compressed_bytes_for_active_names():
    # The page content is declared compressed and never inflated, so bytes
    # that spell /JS or /AA there are data, not names.
    objects = documents.agreement_objects()
    objects[3] = documents.stream(b"/Filter /FlateDecode", b"x\x9c/JS /AA /EF (")

    assert inspect(documents.assemble_pdf(objects)).name == "agreement.pdf"


def test_it_finds_a_script_in_an_uncompressed_object_stream_nothing_lists():
    body = b"100 0 << /S /JavaScript /JS (%s) >>" % documents.SCRIPT
    orphan = b"99 0 obj\n%s\nendobj\n" % documents.stream(
        b"/Type /ObjStm /N 1 /First 6", body
    )

    codes, _ = refusal_of(
        documents.assemble_pdf(documents.agreement_objects(), before_xref=orphan)
    )

    assert codes == ["javascript"]


def test_it_never_inflates_page_contents():
    content = documents.bomb_in_page_content_pdf()

    started = time.monotonic()
    problems = find_problems(content)

    assert problems == []
    assert time.monotonic() - started < 1


def test_it_reads_a_cross_reference_table_that_names_itself_as_previous():
    assert inspect(documents.looping_xref_pdf()).name == "agreement.pdf"


def test_it_refuses_more_objects_than_any_agreement_has():
    content = documents.many_objects_pdf(60_000)
    assert len(content) < LIMIT

    codes, _ = refusal_of(content)

    assert codes == ["too_complex"]


def test_it_accepts_a_few_thousand_objects():
    assert inspect(documents.many_objects_pdf(5_000)).name == "agreement.pdf"


class TestLimits:
    """The child process stops at each limit, and that is a refusal."""

    def test_the_cpu_limit_stops_a_file_that_takes_long_to_parse(self, caplog):
        started = time.monotonic()

        problems = inspect_pdf(
            documents.slow_to_parse_pdf(),
            cpu_seconds=1,
            memory_bytes=4 << 30,
            timeout=60,
        )

        assert problems == [Problem.TOO_COMPLEX]
        assert f"exit status {-signal.SIGXCPU}" in caplog.text
        assert time.monotonic() - started < 30

    def test_the_memory_limit_stops_a_file_that_needs_too_much(self, caplog):
        problems = inspect_pdf(
            documents.slow_to_parse_pdf(),
            cpu_seconds=60,
            memory_bytes=128 << 20,
            timeout=60,
        )

        # The child ran out of memory, said so and ended normally.
        assert problems == [Problem.TOO_COMPLEX]
        assert caplog.text == ""

    def test_the_wall_clock_limit_stops_a_check_that_takes_too_long(self, caplog):
        started = time.monotonic()

        problems = inspect_pdf(documents.slow_to_parse_pdf(), cpu_seconds=60, timeout=1)

        assert problems == [Problem.TOO_COMPLEX]
        assert "ran past 1 seconds" in caplog.text
        assert time.monotonic() - started < 5

    def test_the_default_limits_stop_the_slow_file_too(self):
        started = time.monotonic()

        assert inspect_pdf(documents.slow_to_parse_pdf()) == [Problem.TOO_COMPLEX]
        assert time.monotonic() - started < 15


def test_the_same_clean_file_is_inspected_once_per_process():
    content = documents.minimal_pdf(f"Agreement {uuid.uuid4()}")

    def child_cpu_seconds() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    before = child_cpu_seconds()
    inspect(content)
    after_first = child_cpu_seconds()
    inspect(content)

    assert after_first > before
    assert child_cpu_seconds() == after_first
