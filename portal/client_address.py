"""Whose request is it: the peer's address, or behind trusted proxies the one they saw.

Behind a load balancer every request comes from the balancer; its ``X-Forwarded-For`` says
whom it was talking to. Only the proxies named in ``APPRAISAL_TRUSTED_PROXIES`` are
believed, and only as far as they go: reading the header from the right, the first address
that is not a trusted proxy is the client (anything to its left the client wrote itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

Network = IPv4Network | IPv6Network


def _parsed(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address, proxies: Sequence[Network]) -> bool:
    return any(address in network for network in proxies)


def client_address(peer: str | None, forwarded_for: Iterable[str],
                   proxies: Sequence[Network]) -> str:
    """The address the per-client limits count.

    Args:
        peer: The address of the connection's other end (None when unknown).
        forwarded_for: Every ``X-Forwarded-For`` header of the request, in order.
        proxies: The trusted proxies; when empty the header is never read.

    Returns:
        The right-most address that is not a trusted proxy; the peer when it is not a
        trusted proxy itself or the header is absent; the last trusted hop when the
        header holds nothing usable past it.
    """
    if peer is None:
        return "unknown"
    nearest = _parsed(peer)
    if nearest is None or not proxies or not _trusted(nearest, proxies):
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        address = _parsed(hop)
        if address is None:  # a proxy wrote something that is not an address: stop there
            return client
        client = str(address)
        if not _trusted(address, proxies):
            return client
    return client
