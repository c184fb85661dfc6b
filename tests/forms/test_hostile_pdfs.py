"""An agreement is read as a PDF, in a process of its own with limits, and
refused with a reason of its own when it is damaged, locked, empty of pages,
active or made to exhaust the reader."""

import io
import logging
import resource
import signal
import subprocess
import sys
import time
import uuid
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from onboarding import pdf_inspection
from onboarding.agreements import REFUSALS, inspect_agreement
from onboarding.pdf_inspection import (
    EXIT_OUT_OF_MEMORY,
    PROJECT_ROOT,
    Problem,
    find_problems,
    inspect_pdf,
)
from tests import documents

LIMIT = 2 * 1024 * 1024
# The inspection child, with a parser that runs out of memory at once.
SHORT_OF_MEMORY_CHILD = """
import sys
from onboarding import pdf_inspection

def run_out(data):
    raise MemoryError

pdf_inspection.find_problems = run_out
sys.argv = ["inspect", "--cpu-seconds=10", "--memory-bytes=1073741824"]
pdf_inspection.main()
"""


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

        # However short the child ran, in pypdf or while handling that, it
        # is a refusal of the file and no failure of the check.
        assert problems == [Problem.TOO_COMPLEX]
        assert not [
            record for record in caplog.records if record.levelno >= logging.WARNING
        ]

    def test_a_child_short_of_memory_even_to_answer_exits_quietly(self):
        # As when handling pypdf's MemoryError itself runs out of memory.
        child = subprocess.run(
            [sys.executable, "-c", SHORT_OF_MEMORY_CHILD],
            input=documents.minimal_pdf(),
            capture_output=True,
            cwd=PROJECT_ROOT,
            timeout=60,
            check=False,
        )

        assert child.returncode == EXIT_OUT_OF_MEMORY
        assert (child.stdout, child.stderr) == (b"", b"")

    def test_that_exit_status_is_a_refusal_logged_as_information(
        self, caplog, monkeypatch
    ):
        def short_of_memory(command, **options):
            return subprocess.CompletedProcess(command, EXIT_OUT_OF_MEMORY, b"", b"")

        monkeypatch.setattr(pdf_inspection.subprocess, "run", short_of_memory)
        caplog.set_level(logging.INFO, logger="onboarding.pdf_inspection")

        problems = inspect_pdf(documents.minimal_pdf(), memory_bytes=128 << 20)

        assert problems == [Problem.TOO_COMPLEX]
        (record,) = caplog.records
        assert record.levelno == logging.INFO
        assert "needed more than 128 MiB" in record.getMessage()

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


class TestForeignData:
    """A file that is a PDF and another format at once is refused: a
    signature outside the stream bodies, or an archive anywhere."""

    def test_it_refuses_a_pdf_that_is_also_a_zip_archive(self):
        content = documents.zip_polyglot_pdf()
        assert zipfile.ZipFile(io.BytesIO(content)).namelist() == ["agreement.docx"]
        assert len(PdfReader(io.BytesIO(content), strict=True).pages) == 1

        codes, [message] = refusal_of(content)

        assert codes == ["trailing_data"]
        assert message == REFUSALS[Problem.TRAILING_DATA]

    @pytest.mark.parametrize(
        "signature",
        [
            b"<html><script>app.alert(1)</script></html>",
            b"<!DOCTYPE html>",
            b"<HTML>",
            b"<Script>",
            b"PK\x03\x04",
            b"PK\x01\x02",
            b"PK\x05\x06",
        ],
    )
    def test_it_refuses_another_formats_signature_in_a_comment(self, signature):
        content = documents.assemble_pdf(
            documents.agreement_objects(), before_xref=b"%" + signature + b"\n"
        )

        codes, [message] = refusal_of(content)

        assert codes == ["foreign_data"]
        assert message == REFUSALS[Problem.FOREIGN_DATA]

    def test_it_accepts_a_comment_that_only_names_other_formats(self):
        comment = b"% converted from agreement.docx, also on the html page\n"
        content = documents.assemble_pdf(
            documents.agreement_objects(), before_xref=comment
        )

        assert inspect(content).name == "agreement.pdf"

    def test_it_accepts_an_image_whose_compressed_bytes_hold_zip_signatures(self):
        # Images and fonts may hold any bytes, so stream bodies are not
        # searched; the same bytes between objects are refused.
        content = documents.zip_signatures_in_image_pdf()
        assert b"PK\x03\x04" in content
        with pytest.raises(zipfile.BadZipFile):
            zipfile.ZipFile(io.BytesIO(content))

        assert inspect(content).name == "agreement.pdf"

    def test_it_refuses_a_zip_archive_hidden_in_an_image(self):
        content = documents.zip_in_image_pdf()
        assert zipfile.ZipFile(io.BytesIO(content)).namelist() == ["agreement.docx"]
        assert len(PdfReader(io.BytesIO(content), strict=True).pages) == 1

        codes, [message] = refusal_of(content)

        assert codes == ["foreign_data"]
        assert message == REFUSALS[Problem.FOREIGN_DATA]

    def test_it_accepts_html_markup_shown_as_text_on_a_page(self):
        content = documents.minimal_pdf("Paste the <script> tag into <html> pages")
        assert b"<script>" in content

        assert inspect(content).name == "agreement.pdf"


class TestRevisions:
    """Only revisions, blanks and comments may follow an end marker that is
    not the last."""

    @pytest.mark.parametrize(
        "hidden",
        [b"hidden payload\n", documents.zip_archive(), documents.HTML_PAGE],
        ids=["text", "zip", "html"],
    )
    def test_it_refuses_data_hidden_between_two_revisions(self, hidden):
        content = documents.incrementally_updated(between=hidden)
        reader = PdfReader(io.BytesIO(content), strict=True)
        assert reader.metadata.title == "Signed agreement, countersigned"

        codes, [message] = refusal_of(content)

        assert codes == ["trailing_data"]
        assert message == REFUSALS[Problem.TRAILING_DATA]

    @pytest.mark.parametrize(
        "between",
        [b"", b"\r\n\x00\x00 \n", b"%%EOF\n", b"% appended by a signing tool\n"],
        ids=["nothing", "blanks", "doubled-marker", "comment"],
    )
    def test_it_accepts_an_update_after_what_writers_leave_there(self, between):
        content = documents.incrementally_updated(between=between)

        assert inspect(content).size == len(content)

    @pytest.mark.parametrize("doubled", [b"%%EOF\n", b"\r\n%%EOF\r\n"])
    def test_it_accepts_an_end_marker_a_writer_doubled(self, doubled):
        content = documents.minimal_pdf() + doubled

        assert inspect(content).size == len(content)


def test_it_accepts_a_link_to_a_page_of_the_same_file():
    content = documents.link_pdf(documents.GO_TO_FIRST_PAGE)

    assert inspect(content).name == "agreement.pdf"


def test_it_accepts_a_note_annotation():
    content = documents.annotation_pdf(b"/Subtype /Text /Contents (Countersigned)")

    assert inspect(content).name == "agreement.pdf"


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "packed"])
def test_it_accepts_a_link_to_an_article_thread_of_the_same_file(packed):
    content = documents.thread_link_pdf(packed=packed)

    assert inspect(content).name == "agreement.pdf"


class TestLinks:
    """A link may lead to a web page, a mail or a phone call, and nowhere
    else, however its target is spelt."""

    @pytest.mark.parametrize("packed", [False, True], ids=["plain", "packed"])
    @pytest.mark.parametrize(
        "target",
        [
            b"(https://example.com/terms)",
            b"(http://example.com/terms)",
            b"(mailto:legal@example.com)",
            b"(tel:+49301234567)",
            b"(HTTPS://EXAMPLE.COM/)",
        ],
    )
    def test_it_accepts_a_link_to_the_web_a_mailbox_or_a_phone(self, target, packed):
        content = documents.uri_link_pdf(target, packed=packed)

        assert inspect(content).name == "agreement.pdf"

    @pytest.mark.parametrize("packed", [False, True], ids=["plain", "packed"])
    @pytest.mark.parametrize(
        "target",
        [
            b"(javascript:app.alert\\(1\\))",
            b"(JavaScript:app.alert\\(1\\))",
            b"(java\tscript:app.alert\\(1\\))",
            b"(java\\nscript:app.alert\\(1\\))",
            b"( \x01javascript:app.alert\\(1\\))",
            b"<6a6176617363726970743a31>",
            b"(\xfe\xff" + "javascript:1".encode("utf-16-be") + b")",
        ],
        ids=[
            "lower",
            "mixed-case",
            "tab-inside",
            "newline-inside",
            "control-before",
            "hex-string",
            "utf-16",
        ],
    )
    def test_it_refuses_a_link_that_runs_javascript(self, target, packed):
        codes, [message] = refusal_of(documents.uri_link_pdf(target, packed=packed))

        assert codes == ["javascript"]
        assert message == REFUSALS[Problem.JAVASCRIPT]

    @pytest.mark.parametrize("packed", [False, True], ids=["plain", "packed"])
    @pytest.mark.parametrize(
        "target",
        [
            b"(file:///etc/passwd)",
            b"(smb://fileserver/share/terms.pdf)",
            b"(../other.pdf)",
            b"(//fileserver/share/terms.pdf)",
        ],
    )
    def test_it_refuses_a_link_to_a_file_or_a_relative_target(self, target, packed):
        codes, [message] = refusal_of(documents.uri_link_pdf(target, packed=packed))

        assert codes == ["external_action"]
        assert message == REFUSALS[Problem.EXTERNAL_ACTION]

    def test_it_refuses_a_javascript_link_chained_after_a_harmless_action(self):
        action = b"<< /S /GoTo /D [3 0 R /Fit] /Next 7 0 R >>"
        script = b"<< /S /URI /URI (javascript:app.alert\\(1\\)) >>"

        codes, _ = refusal_of(documents.link_pdf(action, script))

        assert codes == ["javascript"]


def test_it_accepts_a_harmless_object_in_a_compressed_object_stream_nothing_lists():
    # The counterpart of the script found there: the stream is read, and
    # only what it holds decides.
    content = documents.unlisted_object_stream_pdf(documents.GO_TO_FIRST_PAGE)

    assert inspect(content).name == "agreement.pdf"


class TestDamagedEncryption:
    """A file pypdf cannot read is called encrypted only when a trailer
    says so, since only there does /Encrypt encrypt a file."""

    @pytest.mark.parametrize("packed", [False, True], ids=["trailer", "xref-stream"])
    def test_it_calls_a_damaged_file_encrypted_by_its_trailer_encrypted(self, packed):
        content = documents.damaged_pdf(
            documents.ENCRYPTION, trailer=b"/Encrypt 6 0 R ", packed=packed
        )

        codes, [message] = refusal_of(content)

        assert codes == ["encrypted"]
        assert message == REFUSALS[Problem.ENCRYPTED]

    @pytest.mark.parametrize(
        "extra",
        [
            [b"<< /Note (saved without /Encrypt) >>"],
            [b"<< /Encrypt 7 0 R >>", documents.ENCRYPTION],
        ],
        ids=["in-a-string", "in-another-object"],
    )
    def test_it_calls_a_damaged_file_naming_encrypt_elsewhere_unreadable(self, extra):
        content = documents.damaged_pdf(*extra)
        assert b"/Encrypt" in content

        codes, [message] = refusal_of(content)

        assert codes == ["unreadable"]
        assert message == REFUSALS[Problem.UNREADABLE]
