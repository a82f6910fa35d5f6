"""Opening the review server's port: a listening socket, or one line that says what to do instead."""

from __future__ import annotations

import errno
import socket


class ListenError(OSError):
    """The server cannot listen on the address asked for; str() is one line for the user."""


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port, or ListenError saying what to do instead.

    Bound here, not by werkzeug, which prints its own lines and exits with status 1.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as werkzeug takes the socket over
    try:
        infos = socket.getaddrinfo(host or None, port, family, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise ListenError(f"--host {host} is not an address of this machine ({exc}); "
                          "give 127.0.0.1, 0.0.0.0 or one of its IP addresses") from None
    _, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart right after a stop
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ListenError(_listen_problem(host, port, exc)) from None
    return sock


def _listen_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is in use; try --port {_free_port_after(host, port)}"
    if exc.errno == errno.EACCES:
        return f"port {port} needs administrator rights; try --port 8000 or another above 1023"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"--host {host} is not an address of this machine; give 127.0.0.1, 0.0.0.0 or one of its IP addresses"
    return f"cannot listen on {host}:{port} ({exc.strerror or exc}); try another --host or --port"


def _free_port_after(host: str, port: int) -> int:
    """The first of the next 20 ports that is free on `host` (port + 1 when none is)."""
    for candidate in range(port + 1, min(port + 21, 65536)):
        try:
            with socket.create_server((host, candidate), family=socket.AF_INET6 if ":" in host else socket.AF_INET):
                return candidate
        except OSError:
            continue
    return port + 1
