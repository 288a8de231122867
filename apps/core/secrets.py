"""Secrets the platform must read back (a gateway's HMAC key): encrypted at rest, never shown again.

An HMAC can only be checked with the key itself, so a gateway secret cannot be stored as a one-way
hash; it is encrypted with a key derived from ANQUAN_SECRETS_KEY (or SECRET_KEY) instead.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    material = getattr(settings, "ANQUAN_SECRETS_KEY", "") or settings.SECRET_KEY
    key = base64.urlsafe_b64encode(hashlib.sha256(f"anquan-secrets:{material}".encode()).digest())
    return Fernet(key)


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None
