"""Object names for agreements in OSS."""

import re
import unicodedata

MAX_STEM_LENGTH = 60


def agreement_object_name(original_name: str, unique: str) -> str:
    """A safe file name, derived from the original where possible.

    Only letters, digits, "-", "_" and "." appear; it ends in ".pdf"; and the
    unique part (say, the submission's id) keeps two customers' files apart
    even when they were named alike.
    """
    stem = original_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if stem.lower().endswith(".pdf"):
        stem = stem[:-4]
    ascii_stem = (
        unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    )
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_stem).strip("-_")[:MAX_STEM_LENGTH]
    safe = safe.strip("-_") or "agreement"
    suffix = re.sub(r"[^A-Za-z0-9]", "", unique)
    if not suffix:
        raise ValueError("The unique part must contain letters or digits.")
    return f"{safe}-{suffix}.pdf"
