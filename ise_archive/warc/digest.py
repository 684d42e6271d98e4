"""The archive's payload digest: SHA-1 of the payload, base32, as the CDX prints it.

The CDX ``digest`` column is the ``WARC-Payload-Digest`` of the capture's record
without its ``sha1:`` label: the SHA-1 of the HTTP entity body, base32-encoded
(Heritrix, the Wayback Machine and pywb all print it so). A ``warc/revisit`` row
carries the digest of the payload it revisits, and a redirect row the digest of the
redirect's own (usually tiny) body, so both check against the bytes replayed for them.
Some old CDX files print the digest in base16 (40 hex digits): that is recognised.

This module does not fetch or store anything.
"""

from __future__ import annotations

import base64
import hashlib

#: The label warcio and the WARC standard put before a base32 SHA-1.
SHA1_LABEL = "sha1:"


def payload_digest(payload: bytes) -> str:
    """``sha1:<base32>`` of ``payload``, the form of ``WARC-Payload-Digest``.

    >>> payload_digest(b"")
    'sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ'
    """
    return SHA1_LABEL + base64.b32encode(hashlib.sha1(payload).digest()).decode()


def same_digest(payload: bytes, expected: str) -> bool | None:
    """Whether ``payload`` hashes to ``expected`` (a CDX or WARC digest), or None.

    None means the digest is unknown (empty, ``-``) or of a kind we cannot check,
    so the payload is *unverified*, neither good nor bad.

    >>> same_digest(b"", "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ")
    True
    >>> same_digest(b"x", "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ")
    False
    >>> same_digest(b"x", "-") is None
    True
    """
    value = expected.strip()
    label, sep, rest = value.partition(":")
    if sep:
        if label.lower() != "sha1":
            return None
        value = rest
    if not value or value == "-":
        return None
    sha1 = hashlib.sha1(payload).digest()
    if len(value) == 40 and all(c in "0123456789abcdefABCDEF" for c in value):
        return sha1.hex() == value.lower()
    return base64.b32encode(sha1).decode() == value.upper()
