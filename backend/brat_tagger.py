"""brat's automatic-annotation ("tagger") protocol: document text in, text-bound annotations out.

brat's server POSTs the whole text as ``text/plain; charset=utf-8`` and writes each returned
annotation into the .ann with a fresh ``T`` id. The protocol has no relations or scores.
"""

from __future__ import annotations

from converters.document import Document
from converters.errors import SHOWN_CHARS

from backend.errors import BAD_TEXT, BackendError


def decode_body(body: bytes, charset: str | None) -> str:
    """The request body as text; brat always sends UTF-8."""
    encoding = (charset or "utf-8")[:SHOWN_CHARS]
    try:
        text = body.decode(encoding)
        # Codecs such as unicode_escape or utf-7 decode to lone surrogates, which no tokenizer reads.
        text.encode("utf-8")
    except (UnicodeError, LookupError) as error:
        raise BackendError(
            400, BAD_TEXT,
            f"expected the document as {encoding} text, could not decode the body: "
            f"{str(error)[:SHOWN_CHARS]}",
            "send the text with Content-Type: text/plain; charset=utf-8",
        ) from None
    return text


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
