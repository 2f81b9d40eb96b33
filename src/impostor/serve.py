"""A small HTTP JSON service around one loaded :class:`~impostor.Detector`.

    POST /check    {"name": "入民日报", "account_id": "u1"}        -> one verdict
                   {"names": ["a", "b"], "account_ids": [..]}     -> {"lexicon_version", "results": [...]}
    GET  /health   -> {"status": "ok"}
    GET  /version  -> {"impostor": "0.1.0", "lexicon_version": "..."}

Registration and rename flows call it once per name, so it is built on the standard library's
``http.server`` (a thread per connection, HTTP/1.1 keep-alive) and adds no dependency.  The lexicons are loaded
once per process (the word list and shapes, read when first needed, under a lock); check and check_many
otherwise only touch dict caches and the kernel's objects, which is safe because no kernel function releases the
GIL (_kernel.c): one thread at a time is inside one.  Errors are JSON too:
``{"error": "..."}`` with 400, 404, 405, 411, 413, 415 (or 500 for a bug).
"""

from __future__ import annotations

import json
import socket
import sys
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import __version__
from .detector import Detector

JSON_TYPE = "application/json; charset=utf-8"
UTF8 = ("utf-8", "utf8")
GET_ONLY = "GET, HEAD"
ROUTES = {"/check": "POST", "/health": GET_ONLY, "/version": GET_ONLY}  # path -> Allow header
SINGLE_FIELDS = frozenset({"name", "account_id"})
BATCH_FIELDS = frozenset({"names", "account_ids"})
JSON_KINDS = {type(None): "null", bool: "a boolean", int: "a number", float: "a number", list: "an array",
              dict: "an object"}


class RequestError(Exception):
    """An error answered to the client as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class ImpostorServer(ThreadingHTTPServer):
    """A threading HTTP server holding the detector and the request limits."""

    daemon_threads = True
    request_queue_size = 128  # listen backlog (socketserver's default of 5 drops connections under bursts)

    def __init__(self, address: tuple[str, int], detector: Detector, max_body_bytes: int, max_names: int) -> None:
        self.detector = detector
        self.max_body_bytes = max_body_bytes
        self.max_names = max_names
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or resets mid-request is routine under load: no traceback for that."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = f"impostor/{__version__}"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stalls
    timeout = 60  # seconds an idle keep-alive connection (and its thread) is kept
    server: ImpostorServer

    def log_message(self, format: str, *args: Any) -> None:
        """No line per request: a service under load must not write to stderr for each call."""

    # -- routing ------------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        self._unread = -1  # body bytes still on the socket; -1 = unknown (the connection is closed after)
        try:
            self._unread = self._content_length()
            path = urlsplit(self.path).path
            allow = ROUTES.get(path)
            if allow is None:
                raise RequestError(HTTPStatus.NOT_FOUND, f"no such path {path!r}; try POST /check, GET /health "
                                                         "or GET /version")
            if self.command not in allow.split(", "):
                raise RequestError(HTTPStatus.METHOD_NOT_ALLOWED, f"{path} takes {allow}, not {self.command}",
                                   {"Allow": allow})
            if path == "/check":
                self._send(HTTPStatus.OK, self._check())
            elif path == "/health":
                self._send(HTTPStatus.OK, {"status": "ok"})
            else:
                self._send(HTTPStatus.OK, {"impostor": __version__,
                                           "lexicon_version": self.server.detector.lexicon_version})
        except RequestError as error:
            self._send(error.status, {"error": error.message}, error.headers)
        except (TimeoutError, ConnectionError):
            self.close_connection = True
        except Exception:  # a bug: say so in JSON and log the traceback (only errors are logged)
            traceback.print_exc(file=sys.stderr)
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error while checking the name(s)"})

    def _content_length(self) -> int:
        if "Transfer-Encoding" in self.headers:
            return -1  # chunked bodies are not read: /check answers 411 and the connection is closed
        given = self.headers.get_all("Content-Length")
        if not given:
            return 0
        # "5", or a repeat of one value ("5, 5", two equal headers) as RFC 9112 §6.3 allows; anything else leaves
        # the body's end unknown, and guessing it is how requests are smuggled past a proxy: 400, and the
        # connection is closed (the body is not drained).
        values = {value.strip() for header in given for value in header.split(",")}
        if len(values) != 1 or not next(iter(values)).isdecimal() or not next(iter(values)).isascii():
            shown = ", ".join(repr(h) for h in given)
            raise RequestError(HTTPStatus.BAD_REQUEST, f"Content-Length {shown} is not one non-negative integer")
        return int(values.pop())

    # -- POST /check --------------------------------------------------------------------------------------------
    def _check(self) -> dict[str, Any]:
        limit = self.server.max_body_bytes
        if "Content-Length" not in self.headers or self._unread < 0:
            raise RequestError(HTTPStatus.LENGTH_REQUIRED, "POST /check needs a Content-Length header")
        if self._unread > limit:
            raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                               f"request body is {self._unread} bytes; the limit is {limit}")
        content_type = self.headers.get_content_type()  # lower case; text/plain when the header is missing
        charset = self.headers.get_content_charset()
        if content_type != "application/json" or (charset is not None and charset not in UTF8):
            given = self.headers.get("Content-Type")
            raise RequestError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                               f"Content-Type must be application/json (UTF-8), not {given!r}")
        body = self.rfile.read(self._unread)
        self._unread = 0 if len(body) == self._unread else -1
        if self._unread:
            raise RequestError(HTTPStatus.BAD_REQUEST, "request body is shorter than its Content-Length")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"request body is not valid UTF-8 (at byte {error.start})") \
                from None
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as error:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"request body is not valid JSON: {error}") from None
        except RecursionError:
            raise RequestError(HTTPStatus.BAD_REQUEST, "request body is JSON nested too deeply") from None
        except ValueError:  # an integer of more than sys.get_int_max_str_digits() digits
            raise RequestError(HTTPStatus.BAD_REQUEST, "request body holds a number too long to read") from None
        return self._verdicts(payload)

    def _verdicts(self, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise RequestError(HTTPStatus.BAD_REQUEST,
                               'request body must be a JSON object: {"name": ...} or {"names": [...]}')
        detector = self.server.detector
        if "name" in payload and "names" in payload:
            raise RequestError(HTTPStatus.BAD_REQUEST, 'give either "name" or "names", not both')
        if "name" in payload:
            _known(payload, SINGLE_FIELDS)
            name = _text(payload["name"], "name")
            account_id = _text(payload.get("account_id"), "account_id", optional=True)
            return {**detector.check(name, account_id).to_dict(), "lexicon_version": detector.lexicon_version}
        if "names" not in payload:
            raise RequestError(HTTPStatus.BAD_REQUEST, 'request body needs a "name" (string) or "names" (list)')
        _known(payload, BATCH_FIELDS)
        names = payload["names"]
        if not isinstance(names, list):
            raise RequestError(HTTPStatus.BAD_REQUEST, 'field "names" must be a list of strings')
        if len(names) > self.server.max_names:
            raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                               f"{len(names)} names in one request; the limit is {self.server.max_names}")
        names = [_text(name, f"names[{i}]") for i, name in enumerate(names)]
        account_ids = payload.get("account_ids")
        if account_ids is not None:
            if not isinstance(account_ids, list):
                raise RequestError(HTTPStatus.BAD_REQUEST, 'field "account_ids" must be a list of strings or nulls')
            if len(account_ids) != len(names):
                raise RequestError(HTTPStatus.BAD_REQUEST, f'field "account_ids" has {len(account_ids)} entries '
                                                           f'but "names" has {len(names)}; they must match')
            account_ids = [_text(a, f"account_ids[{i}]", optional=True) for i, a in enumerate(account_ids)]
        results = [v.to_dict() for v in detector.check_many(names, account_ids)]
        return {"lexicon_version": detector.lexicon_version, "results": results}

    # -- responses ----------------------------------------------------------------------------------------------
    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        if self._unread and not 0 < self._unread <= self.server.max_body_bytes:
            self.close_connection = True  # a body we will not read is still on the socket
        elif self._unread:
            self.rfile.read(self._unread)  # drain a small unread body (404, 405, 415) to keep the connection
            self._unread = 0
        self.send_response(status)
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors raised by http.server itself (malformed request line, header too long, HTTP/2's preface, ...) as
        JSON too, with a status line: http.server leaves the request's version at HTTP/0.9 until it has read one,
        and would answer in HTTP/0.9, a bare body that no client reads as an error."""
        if self.request_version == "HTTP/0.9" or not self.request_version.startswith("HTTP/1."):
            self.request_version = "HTTP/1.1"
        self._unread = -1
        self.close_connection = True
        self._send(code, {"error": message or HTTPStatus(code).phrase})


def _known(payload: dict[str, Any], fields: frozenset[str]) -> None:
    unknown = sorted(set(payload) - fields)
    if unknown:
        raise RequestError(HTTPStatus.BAD_REQUEST, f"unknown field(s) {', '.join(map(repr, unknown))}; "
                                                   f"expected {' and '.join(map(repr, sorted(fields)))}")


def _text(value: Any, field: str, optional: bool = False) -> str | None:
    """``value`` if it is a string (or None when ``optional``); a 400 that names ``field`` otherwise."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        kind = "a string or null" if optional else "a string"
        found = JSON_KINDS.get(type(value), type(value).__name__)
        raise RequestError(HTTPStatus.BAD_REQUEST, f'field "{field}" must be {kind}, not {found}')
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(HTTPStatus.BAD_REQUEST, f'field "{field}" holds a lone surrogate (not valid Unicode)') \
            from None
    return value


class ListenError(OSError):
    """The service cannot listen where asked (the port is taken, the address is not this machine's or no address)."""


def make_server(detector: Detector, host: str = "127.0.0.1", port: int = 8080, max_body_bytes: int = 1_048_576,
                max_names: int = 10_000) -> ThreadingHTTPServer:
    """A bound, not yet serving, server; ``port=0`` picks a free port (read it from ``server.server_address``)."""
    detector.preload()  # now, not in the first request that needs it
    try:
        return ImpostorServer((host, port), detector, max_body_bytes, max_names)
    except OSError as exc:
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise ListenError(f"cannot listen on {shown}: {exc.strerror or exc}") from None


def serve(detector: Detector, host: str = "127.0.0.1", port: int = 8080, max_body_bytes: int = 1_048_576,
          max_names: int = 10_000) -> None:
    """Serve until interrupted (Ctrl-C closes the socket and returns)."""
    server = make_server(detector, host, port, max_body_bytes, max_names)
    bound_host, bound_port = server.server_address[:2]
    bound_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"impostor serve: listening on http://{bound_host}:{bound_port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
