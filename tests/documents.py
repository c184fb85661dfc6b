"""Small documents built in code, so tests need no binary fixtures."""

import hashlib


def minimal_pdf(text: str = "Signed agreement") -> bytes:
    """Return a small, well-formed one-page PDF with a correct xref table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)

    xref_at = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        body += b"%010d 00000 n \n" % offset
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    body += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(body)


def padded_pdf(size: int) -> bytes:
    """Return a PDF of exactly `size` bytes, padded with a trailing comment."""
    pdf = minimal_pdf()
    if size < len(pdf) + 2:
        raise ValueError(f"a PDF needs at least {len(pdf) + 2} bytes")
    return pdf + b"%" + b"x" * (size - len(pdf) - 2) + b"\n"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
