"""pymemcache tuned for the SDK hot path, with one circuit per memcached server per process.

Django gives every cache alias in every thread a ``HashClient`` of its own, and each
one learns on its own that a server stopped answering: with four memcached-backed
caches, a request during a freeze paid four socket timeouts, and every thread paid
them again. pymemcache's ``retry_attempts``/``dead_timeout`` cannot help, because they
are per client. Here a timeout or refused connection on any client opens the server's
circuit for the whole process: every other call skips that server at once (raising
``ServerSkipped``, which callers treat like any cache failure: ask the database) until
a background probe finds it answering again, a fraction of a second after it does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from typing import Any

from django.core.cache.backends.memcached import PyMemcacheCache as DjangoPyMemcacheCache
from pymemcache.client.base import Client
from pymemcache.client.hash import HashClient
from pymemcache.client.rendezvous import RendezvousHash
from pymemcache.exceptions import MemcacheError

logger = logging.getLogger(__name__)

# How often a process probes a server whose circuit is open.
PROBE_EVERY_SECONDS = 0.2


class SingleServerRendezvousHash(RendezvousHash):
    """pymemcache's rendezvous hashing, minus the hashing when there is one server to choose.

    Django's ``PyMemcacheCache`` always uses a ``HashClient``, whose murmur3 is pure
    Python: about 35 µs per key on every cache call of every SDK request, to pick the
    only server there is. With several servers the choice is pymemcache's own.
    """

    def get_node(self, key: str) -> Any:
        if len(self.nodes) == 1:
            return self.nodes[0]
        return super().get_node(key)


class ServerSkipped(MemcacheError):
    """The server's circuit is open in this process: the call was not sent."""


class _Circuit:
    """One server's state in this process: closed (calls go through) or open (skipped)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.open = False
        self.opened_at = 0.0
        self.probe_timeouts: tuple[float | None, float | None] = (None, None)


_circuits: dict[Any, _Circuit] = {}
_circuits_lock = threading.Lock()
_prober: threading.Thread | None = None


def _forget_circuits_after_fork() -> None:
    """A forked child learns about its servers itself, with a lock no thread holds."""
    global _circuits_lock, _prober
    _circuits_lock = threading.Lock()
    _circuits.clear()
    _prober = None


os.register_at_fork(after_in_child=_forget_circuits_after_fork)


def _circuit(server: Any) -> _Circuit:
    circuit = _circuits.get(server)
    if circuit is None:
        with _circuits_lock:
            circuit = _circuits.setdefault(server, _Circuit(server))
    return circuit


def _trip(circuit: _Circuit, client: Client, error: Exception) -> None:
    global _prober
    with _circuits_lock:
        if circuit.open:
            return
        circuit.open, circuit.opened_at = True, time.monotonic()
        circuit.probe_timeouts = (client.connect_timeout, client.timeout)
        # After a fork the child has the parent's Thread object but not the thread.
        if _prober is None or not _prober.is_alive():
            _prober = threading.Thread(target=_probe_until_closed, name="memcached-circuit-probe", daemon=True)
            _prober.start()
    logger.warning(
        "memcached %s failed (%r): skipped by every cache of this process until it answers again",
        _name(circuit.server),
        error,
    )


def _name(server: Any) -> str:
    return f"{server[0]}:{server[1]}" if isinstance(server, tuple) else str(server)


def _answers(circuit: _Circuit) -> bool:
    connect_timeout, timeout = circuit.probe_timeouts
    probe = Client(circuit.server, connect_timeout=connect_timeout, timeout=timeout)
    try:
        probe.version()
        return True
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            probe.close()


def probe_open_circuits() -> int:
    """Probe every open circuit once, closing those whose server answers; how many stay open."""
    for circuit in [circuit for circuit in list(_circuits.values()) if circuit.open]:
        if _answers(circuit):
            circuit.open = False
            logger.warning(
                "memcached %s answers again after %.1f s",
                _name(circuit.server),
                time.monotonic() - circuit.opened_at,
            )
    return sum(1 for circuit in list(_circuits.values()) if circuit.open)


def _probe_until_closed() -> None:
    global _prober
    while True:
        time.sleep(PROBE_EVERY_SECONDS)
        try:
            probe_open_circuits()
        except Exception:  # never let the thread die with a circuit open
            logger.exception("probing memcached failed; retrying")
        with _circuits_lock:
            if not any(circuit.open for circuit in _circuits.values()):
                _prober = None
                return


def open_circuits() -> list[str]:
    """``host:port`` of the servers this process currently skips."""
    return [_name(circuit.server) for circuit in list(_circuits.values()) if circuit.open]


def reset_circuits() -> None:
    """Tests: forget every server's state."""
    with _circuits_lock:
        _circuits.clear()


class CircuitHashClient(HashClient):
    """``HashClient`` whose failures are shared by every client of the process, per server.

    It replaces pymemcache's per-client retry bookkeeping (``retry_attempts``,
    ``retry_timeout``, ``dead_timeout``, which answered ``False`` or ``None`` without
    asking the server, and rehashed keys onto other servers) with the process-wide
    circuit: a key always maps to its server, and a call to a skipped server raises.
    """

    def _safely_run_func(self, client: Client, func: Any, default_val: Any, *args: Any, **kwargs: Any) -> Any:
        circuit = _circuit(client.server)
        if circuit.open:
            raise ServerSkipped(f"memcached {_name(client.server)} is not answering")
        try:
            return func(*args, **kwargs)
        except OSError as error:  # timeout, refused, reset: the server, not the call
            _trip(circuit, client, error)
            raise

    def _safely_run_set_many(self, client: Client, values: dict, *args: Any, **kwargs: Any) -> Any:
        circuit = _circuit(client.server)
        if circuit.open:
            raise ServerSkipped(f"memcached {_name(client.server)} is not answering")
        try:
            return client.set_many(values, *args, **kwargs)
        except OSError as error:
            _trip(circuit, client, error)
            raise

    def close(self) -> None:
        for client in self.clients.values():
            with contextlib.suppress(Exception):
                client.close()

    disconnect_all = close


class PyMemcacheCache(DjangoPyMemcacheCache):
    """Django's pymemcache backend on ``CircuitHashClient``.

    Settings name Django's backend (``django.core.cache.backends.memcached.PyMemcacheCache``,
    as Flagsmith's documentation does); ``app.settings`` puts this one in its place.
    """

    def __init__(self, server: Any, params: dict) -> None:
        super().__init__(server, params)
        self._class = CircuitHashClient
