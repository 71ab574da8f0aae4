"""Loaded by a test server started with this folder on PYTHONPATH: it can reach loopback only.

A fuzzer sends the server whatever URLs it likes (webhook URLs, hosts in bodies). With this
guard the server process resolves no name but ``localhost`` and numeric addresses, and
refuses to connect anywhere outside 127.0.0.0/8 and ::1, so no test traffic leaves the
machine whatever the server is asked to call.
"""

from __future__ import annotations

import ipaddress
import socket

_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _numeric_or_localhost(host: object) -> bool:
    name = host.decode() if isinstance(host, bytes) else host
    if name is None or name == "localhost":
        return True
    try:
        ipaddress.ip_address(str(name).strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if not _numeric_or_localhost(host):
        raise socket.gaierror(socket.EAI_NONAME, f"{host}: name resolution is off in this test server")
    return _getaddrinfo(host, *args, **kwargs)


def _check(sock: socket.socket, address: object) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = str(address[0]).split("%", 1)[0]  # type: ignore[index]
        if not ipaddress.ip_address(host).is_loopback:
            raise ConnectionRefusedError(f"{host}: this test server connects to loopback only")


def connect(self, address):  # type: ignore[no-untyped-def]
    _check(self, address)
    return _connect(self, address)


def connect_ex(self, address):  # type: ignore[no-untyped-def]
    _check(self, address)
    return _connect_ex(self, address)


socket.getaddrinfo = getaddrinfo
socket.socket.connect = connect  # type: ignore[method-assign]
socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
