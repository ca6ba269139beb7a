"""Network facts shared by the HTTP client and the sandbox server."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """True for a host name or address that stays on this machine (``localhost``, ``*.localhost``,
    127.0.0.0/8, ::1): the client warns before sending a key over plain http anywhere else, and the
    sandbox warns before listening anywhere else."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
