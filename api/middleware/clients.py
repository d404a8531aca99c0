"""Who is asking: the peer's IP, or the client a trusted proxy names in ``X-Forwarded-For``.

``X-Forwarded-For`` is anyone's to write, so it is read only when the direct peer is one of
``trusted_proxies``; then the rightmost address that is not a trusted proxy is the client.

Example:
    >>> proxies = TrustedProxies.parse(["10.0.0.0/8"])
    >>> proxies.client_ip(scope)  # the peer, unless it is in 10.0.0.0/8
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(text: str) -> str | None:
    """``1.2.3.4``, ``1.2.3.4:80``, ``::1`` or ``[::1]:80`` as a normalised IP, else ``None``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


class TrustedProxies:
    """The reverse proxies whose ``X-Forwarded-For`` is believed (none by default)."""

    def __init__(self, networks: Iterable[Network] = ()) -> None:
        self.networks = tuple(networks)

    @classmethod
    def parse(cls, entries: Iterable[str]) -> TrustedProxies:
        """From IPs and CIDRs (``YIBAO_TRUSTED_PROXIES``); ``ValueError`` names a bad entry."""
        networks = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"YIBAO_TRUSTED_PROXIES: {entry!r} 不是 IP 地址或网段 / "
                    f"is not an IP address or CIDR."
                ) from None
        return cls(networks)

    def __contains__(self, address: object) -> bool:
        ip = parse_address(address) if isinstance(address, str) else None
        return ip is not None and any(ipaddress.ip_address(ip) in n for n in self.networks)

    def client_ip(self, scope: Scope) -> str:
        """The client's IP: the peer, or what a trusted peer forwards (see module docstring)."""
        client = scope.get("client")
        peer = str(client[0]) if client else "unknown"
        if not self.networks or peer not in self:
            return peer
        forwarded = b",".join(v for k, v in scope.get("headers") or [] if k == b"x-forwarded-for")
        address = peer
        for hop in reversed(forwarded.decode("latin-1").split(",")):
            hop_address = parse_address(hop)
            if hop_address is None:
                break  # not an address: believe nothing further left
            address = hop_address
            if address not in self:
                break
        return address
