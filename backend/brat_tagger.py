"""brat's automatic-annotation ("tagger") protocol: document text in, text-bound annotations out.

brat's server POSTs the whole text as ``text/plain; charset=utf-8`` and writes each returned
annotation into the .ann with a fresh ``T`` id. The protocol has no relations or scores.
"""

from __future__ import annotations

from converters.document import Document

from backend.errors import BAD_TEXT, BackendError


def decode_body(body: bytes, charset: str | None) -> str:
    """The request body as text; brat always sends UTF-8."""
    try:
        return body.decode(charset or "utf-8")
    except (UnicodeDecodeError, LookupError) as error:
        raise BackendError(
            400, BAD_TEXT,
            f"expected the document as {charset or 'utf-8'} text, could not decode the body: {error}",
            "send the text with Content-Type: text/plain; charset=utf-8",
        ) from error


def document_to_tagger_json(doc: Document) -> dict[str, dict]:
    """``{"T1": {"type": ..., "offsets": [[start, end], ...], "texts": [...]}, ...}``."""
    return {
        f"T{number}": {
            "type": entity.type,
            "offsets": [[span.start, span.end] for span in entity.spans],
            "texts": [doc.text[span.start:span.end] for span in entity.spans],
        }
        for number, entity in enumerate(doc.entities, start=1)
    }
