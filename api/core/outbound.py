"""Requests the server makes on a user's behalf (webhooks), safe by default.

A user-supplied URL could otherwise make the server call its own loopback, the
cloud metadata service or the private network behind it (server-side request
forgery). So every such URL is resolved and refused when any address it resolves
to is not a public unicast address, unless that address lies inside one of the
networks the operator listed in ``WEBHOOK_ALLOWED_NETWORKS``. The check runs when
the URL is saved (a 400 saying why) and again at every send, where the connection
is made to the very address that was vetted, so a name that resolves differently
the second time (DNS rebinding) cannot slip through. Redirects are not followed:
a 3xx is the receiver's answer, and the signature never travels to another host.

``resolve`` is the one place names become addresses; tests replace it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 prefixes that carry an IPv4 address, which is checked as well: NAT64's well-known
# prefix (RFC 6052) reaches the embedded IPv4 address through a translator.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class OutboundRefused(Exception):
    """The URL may not be called: the message says why, for the user."""


@dataclass(frozen=True)
class Target:
    """A vetted URL: where to connect (the addresses checked) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6), as strings."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def allowed_networks() -> list[IPNetwork]:
    return list(settings.WEBHOOK_ALLOWED_NETWORKS)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _forbidden_kind(address: IPAddress) -> str | None:
    """Why an address is not a public unicast one, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return _forbidden_kind(embedded)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    return next((kind for kind, hit in checks if hit), None)


def refusal(address: str, networks: Iterable[IPNetwork] | None = None) -> str | None:
    """Why the server will not connect to ``address``, or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is dropped
    kind = _forbidden_kind(ip)
    if kind is None:
        return None
    for network in allowed_networks() if networks is None else networks:
        if ip.version == network.version and ip in network:
            return None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None and ip.ipv4_mapped in network:
            return None
    return f"{address} is a {kind} address" if kind != "not globally routable" else f"{address} is {kind}"


def check(url: str) -> Target:
    """Resolve ``url`` and vet every address; raises ``OutboundRefused`` saying why not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"Not a valid URL: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundRefused("Only http:// and https:// URLs can be called.")
    host = parts.hostname
    if not host:
        raise OutboundRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("The URL may not carry a user name or password.")
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise OutboundRefused(f"The host {host} could not be resolved.") from exc
    if not addresses:
        raise OutboundRefused(f"The host {host} could not be resolved.")
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            raise OutboundRefused(
                f"The host {host} resolves to {reason}; the server does not call internal addresses "
                "(an operator can allow networks with WEBHOOK_ALLOWED_NETWORKS)."
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port, path, tuple(addresses))


@dataclass(frozen=True)
class Response:
    status: int


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POST ``body`` to ``url`` after vetting it, connecting only to a vetted address.

    Raises ``OutboundRefused`` when the URL may not be called and ``OSError`` (or
    urllib3's errors) when no vetted address answered within ``timeout`` seconds in all.
    """
    target = check(url)
    last_error: Exception | None = None
    for address in target.addresses:
        pool_class: type[urllib3.HTTPConnectionPool]
        options: dict[str, object] = {}
        if target.scheme == "https":
            pool_class = urllib3.HTTPSConnectionPool
            # TLS is checked against the name in the URL, not the address connected to.
            options = {"server_hostname": target.host, "assert_hostname": target.host, "cert_reqs": "CERT_REQUIRED"}
        else:
            pool_class = urllib3.HTTPConnectionPool
        pool = pool_class(
            address.split("%", 1)[0],
            target.port,
            timeout=urllib3.Timeout(total=timeout),
            retries=False,
            maxsize=1,
            block=False,
            **options,
        )
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers={**headers, "Host": target.host_header},
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                release_conn=False,
            )
            status = response.status
            response.close()
            return Response(status)
        except urllib3.exceptions.NewConnectionError as exc:
            last_error = exc  # try the next vetted address
        finally:
            pool.close()
    assert last_error is not None
    raise last_error
