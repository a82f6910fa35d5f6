"""What the review server lets in: which host names it answers to, which origins may change data,
and which request bodies it reads.

The page has no login, so a browser on another site must not be able to use it:
- Host allow-list (DNS rebinding: evil.example re-pointed at this machine sends `Host: evil.example`).
  The server answers to the address it is bound to, `localhost`, the loopback addresses when it
  listens on them (bound to loopback or to every address), and the names given with `--allow-host`.
- Origin: a request that changes something and names an origin (browsers always do for a POST)
  must come from a page of this server under one of those names.
- Bodies: JSON objects only, nested at most `MAX_DEPTH` deep, text that is valid Unicode (a lone
  surrogate such as "\\udc80" cannot be stored as UTF-8), no NaN or Infinity.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Iterable, Optional
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "::1")
WILDCARD = ("0.0.0.0", "::", "")
MAX_DEPTH = 20
_NAME_RE = re.compile(r"^(?=.{1,253}\Z)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\Z")


_HOST_HEADER_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[^\s\[\]@/\\:?#]+)(?::[0-9]{1,5})?\Z")


class BadBody(ValueError):
    """A request body the server will not read (HTTP 400): the message says why."""


def host_name(value: str) -> str:
    """A host name or IP address as the allow-list keeps it: lower case, no brackets, no final dot.

    Raises ValueError (with a message for the user) for anything else: a port, a scheme, a pattern.
    """
    name = value.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name.endswith("."):  # "localhost." is "localhost" in DNS
        name = name[:-1]
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    if not _NAME_RE.match(name):
        raise ValueError(
            f"{value!r} is not a host name or IP address (give the name colleagues type in the address bar, "
            "e.g. --allow-host server-name or --allow-host 192.168.1.5, without http:// or a port)"
        )
    return name


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The host names the server answers to (see the module's docstring)."""
    names = {"localhost"}
    bound = bind_host.strip().lower().strip("[]")
    if bound in WILDCARD or _is_loopback(bound) or bound == "localhost":
        names.update(LOOPBACK)
    if bound:
        try:
            names.add(host_name(bound))
        except ValueError:
            pass  # a bind address that is not a name (it failed to bind anyway)
    names.update(host_name(name) for name in extra)
    return frozenset(names)


def _is_loopback(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def request_host(host_header: str) -> Optional[str]:
    """The host name of a Host header ("localhost:8000", "[::1]:8000"), normalised; None if malformed."""
    match = _HOST_HEADER_RE.match(host_header)
    if not match:
        return None
    try:
        return host_name(match.group(1))
    except ValueError:
        return None


def host_problem(host_header: str, allowed: frozenset[str]) -> Optional[str]:
    """Why a request for `host_header` is refused (403), or None when the server answers to it."""
    name = request_host(host_header)
    if name in allowed:
        return None
    shown = name or host_header[:100]
    return (
        f"this review server does not answer to the name {shown!r} (it answers to {', '.join(sorted(allowed))}). "
        f"If that is this machine's name, start it with --allow-host {name or 'NAME'}."
    )


def origin_problem(origin: Optional[str], host_header: str, allowed: frozenset[str]) -> Optional[str]:
    """Why a state-changing request from `origin` is refused (403), or None.

    No Origin header (a script, curl) is let through; a browser sends one with every POST. It
    must be this server (same host and port as the request) under an allowed name.
    """
    if origin is None:
        return None
    try:
        parts = urlsplit(origin)
        same = parts.scheme in ("http", "https") and parts.netloc.lower() == host_header.lower()
        name = host_name(parts.hostname or "") if same else None
    except ValueError:
        name = None
    if name is None or name not in allowed:
        return f"cross-site request refused: a page from {origin[:100]!r} may not change this review"
    return None


def parse_json_body(data: bytes) -> dict:
    """The JSON object a client sent. Raises BadBody for anything the store should never see."""
    depth = _nesting_depth(data)
    if depth > MAX_DEPTH:
        raise BadBody(f"the JSON body is nested {depth} levels deep; a decision needs at most {MAX_DEPTH}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadBody(f"the body is not UTF-8 text (byte {exc.start})") from None
    try:
        body = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise BadBody(f"the body is not valid JSON ({str(exc)[:120]})") from None
    if not isinstance(body, dict):
        raise BadBody("the body must be a JSON object, e.g. {\"action\": \"accept\", \"entity\": \"e1\"}")
    _check_text(body, "body")
    return body


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _nesting_depth(data: bytes) -> int:
    """The deepest nesting of [ and { outside strings (a scan: no recursion, no parse)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _check_text(value: object, where: str) -> None:
    """Every string (keys too) must be encodable as UTF-8: JSON escapes can make lone surrogates."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BadBody(
                f"{where} contains {value[exc.start]!r}, half of a UTF-16 surrogate pair, which is not text; "
                "send the character itself or its full pair"
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, "a field name")
            _check_text(item, key if isinstance(key, str) and key.isascii() else where)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, where)
