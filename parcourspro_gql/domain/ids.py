"""Global ids as clients see them, for the messages that must name an object (Relay form: base64 "Type:pk")."""

from __future__ import annotations

import base64


def global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def structure_global_id(pk: int) -> str:
    return global_id("Structure", pk)
