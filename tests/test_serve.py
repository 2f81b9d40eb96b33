"""The HTTP service (impostor.serve): contract, errors and keep-alive, against a real server on a free port."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from impostor import Detector, __version__
from impostor import serve as serve_module
from impostor.serve import make_server

JSON = {"Content-Type": "application/json"}


def _start(detector: Detector, **limits: int) -> Iterator[tuple[str, int]]:
    server = make_server(detector, port=0, **limits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[:2]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def address(detector: Detector) -> Iterator[tuple[str, int]]:
    yield from _start(detector)


@pytest.fixture(scope="module")
def small(detector: Detector) -> Iterator[tuple[str, int]]:
    """A server with tight limits: 200-byte bodies, 5 names per request."""
    yield from _start(detector, max_body_bytes=200, max_names=5)


def call(address: tuple[str, int], method: str, path: str, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPResponse, Any]:
    """One request on a fresh connection: status, response (for headers) and the decoded JSON body."""
    conn = http.client.HTTPConnection(*address, timeout=10)
    try:
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        conn.request(method, path, body=body, headers=JSON if headers is None else headers)
        response = conn.getresponse()
        raw = response.read()
        assert response.getheader("Content-Type") == "application/json; charset=utf-8"
        assert int(response.getheader("Content-Length")) == len(raw)
        return response.status, response, json.loads(raw.decode("utf-8")) if raw else None
    finally:
        conn.close()


def test_single_name_blocked(address, detector):
    status, _, body = call(address, "POST", "/check", {"name": "入民日报"},
                           {"Content-Type": "application/json; charset=utf-8"})
    assert status == 200
    assert body["name"] == "入民日报"
    assert body["decision"] == "block"
    assert body["target"] == "人民日报"
    assert body["lexicon_version"] == detector.lexicon_version
    assert set(body) == {"name", "decision", "score", "category", "target", "reasons", "status", "lexicon_version"}


def test_single_name_passes(address):
    status, _, body = call(address, "POST", "/check", {"name": "人民公园遛弯"})
    assert (status, body["decision"], body["target"]) == (200, "pass", None)


def test_response_is_utf8_not_escaped(address):
    conn = http.client.HTTPConnection(*address, timeout=10)
    conn.request("POST", "/check", body=json.dumps({"name": "入民日报"}), headers=JSON)
    raw = conn.getresponse().read()
    conn.close()
    assert "入民日报".encode("utf-8") in raw and b"\\u" not in raw


def test_account_id_is_passed_to_the_detector(address, detector):
    status, _, body = call(address, "POST", "/check", {"name": "入民日报", "account_id": "u-1"})
    assert status == 200
    assert body == {**detector.check("入民日报", "u-1").to_dict(), "lexicon_version": detector.lexicon_version}


def test_batch_keeps_order(address, detector):
    names = ["人民公园遛弯", "入民日报", "", "人民曰报首发", "人民公园遛弯", "x" * 5000]
    status, _, body = call(address, "POST", "/check", {"names": names})
    assert status == 200
    assert body["lexicon_version"] == detector.lexicon_version
    assert len(body["results"]) == len(names)
    assert [r["name"] for r in body["results"]] == names
    assert [r["decision"] for r in body["results"][:4]] == ["pass", "block", "pass", "block"]
    assert body["results"] == [v.to_dict() for v in detector.check_many(names)]


def test_batch_with_account_ids(address, detector):
    names, ids = ["入民日报", "人民公园遛弯"], ["u-1", None]
    status, _, body = call(address, "POST", "/check", {"names": names, "account_ids": ids})
    assert status == 200
    assert body["results"] == [v.to_dict() for v in detector.check_many(names, ids)]


def test_empty_batch(address):
    status, _, body = call(address, "POST", "/check", {"names": []})
    assert (status, body["results"]) == (200, [])


def test_account_ids_length_mismatch(address):
    status, _, body = call(address, "POST", "/check", {"names": ["a", "b", "c"], "account_ids": ["u1", None]})
    assert status == 400
    assert "account_ids" in body["error"] and "2" in body["error"] and "3" in body["error"]


@pytest.mark.parametrize("raw, needle", [
    (b'{"name": "a"', "not valid JSON"),
    (b"", "not valid JSON"),
    (b'{"name": "\xff\xfe"}', "UTF-8"),
    (b'{"name": "\\ud800"}', "surrogate"),
    (b"[" * 100_000 + b"]" * 100_000, "JSON"),
])
def test_invalid_body(address, raw, needle):
    status, _, body = call(address, "POST", "/check", raw)
    assert status == 400
    assert needle in body["error"]


@pytest.mark.parametrize("payload, field", [
    (["入民日报"], "JSON object"),
    ({}, '"name"'),
    ({"name": 5}, '"name"'),
    ({"name": None}, '"name"'),
    ({"name": "a", "account_id": 7}, '"account_id"'),
    ({"names": "入民日报"}, '"names"'),
    ({"names": ["a", 1]}, '"names[1]"'),
    ({"names": ["a"], "account_ids": "u1"}, '"account_ids"'),
    ({"names": ["a", "b"], "account_ids": ["u1", 2]}, '"account_ids[1]"'),
    ({"name": "a", "names": ["b"]}, "not both"),
    ({"name": "a", "accountid": "u1"}, "'accountid'"),
    ({"names": ["a"], "account_id": "u1"}, "'account_id'"),
])
def test_wrong_shape_names_the_field(address, payload, field):
    status, _, body = call(address, "POST", "/check", payload)
    assert status == 400
    assert field in body["error"]


def test_wrong_type_is_named_in_json_terms(address):
    status, _, body = call(address, "POST", "/check", {"names": ["a", {"x": 1}]})
    assert status == 400
    assert body["error"] == 'field "names[1]" must be a string, not an object'


def test_unknown_path(address):
    status, _, body = call(address, "GET", "/nope")
    assert status == 404 and "/nope" in body["error"]
    status, _, _ = call(address, "POST", "/check/", {"name": "a"})
    assert status == 404


@pytest.mark.parametrize("method, path, allow", [
    ("GET", "/check", "POST"),
    ("PUT", "/check", "POST"),
    ("POST", "/health", "GET, HEAD"),
    ("DELETE", "/version", "GET, HEAD"),
])
def test_wrong_method(address, method, path, allow):
    status, response, body = call(address, method, path, {"name": "a"} if method != "GET" else None)
    assert status == 405
    assert response.getheader("Allow") == allow
    assert method in body["error"]


def test_post_without_content_length(address):
    conn = http.client.HTTPConnection(*address, timeout=10)
    conn.putrequest("POST", "/check")
    conn.putheader("Content-Type", "application/json")
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 411
    assert "Content-Length" in json.loads(response.read())["error"]
    conn.close()


def test_body_too_large_is_refused_unread(small):
    status, response, body = call(small, "POST", "/check", {"name": "人" * 100})  # > 200 bytes
    assert status == 413
    assert "200" in body["error"]
    assert response.getheader("Connection") == "close"  # the unread body is not taken for the next request
    status, _, _ = call(small, "POST", "/check", {"name": "入民日报"})
    assert status == 200


def test_large_content_length_is_answered_before_any_body(small):
    conn = http.client.HTTPConnection(*small, timeout=5)
    conn.putrequest("POST", "/check")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", "10000000")
    conn.endheaders()  # no body sent: a server that read it first would time out here
    response = conn.getresponse()
    assert response.status == 413
    assert "10000000" in json.loads(response.read())["error"]
    conn.close()


def test_too_many_names(small):
    status, _, body = call(small, "POST", "/check", {"names": ["a"] * 6})
    assert status == 413
    assert "6" in body["error"] and "5" in body["error"]
    status, _, body = call(small, "POST", "/check", {"names": ["a"] * 5})
    assert status == 200 and len(body["results"]) == 5


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1"])
def test_not_json_content_type(address, content_type):
    headers = {} if content_type is None else {"Content-Type": content_type}
    status, _, body = call(address, "POST", "/check", {"name": "入民日报"}, headers)
    assert status == 415
    assert "application/json" in body["error"]


def test_health(address):
    status, _, body = call(address, "GET", "/health")
    assert (status, body) == (200, {"status": "ok"})


def test_version(address, detector):
    status, _, body = call(address, "GET", "/version?x=1")
    assert status == 200
    assert body == {"impostor": __version__, "lexicon_version": detector.lexicon_version}


def test_head_has_no_body(address):
    conn = http.client.HTTPConnection(*address, timeout=10)
    conn.request("HEAD", "/health")
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b""
    conn.request("GET", "/health")  # the same connection still parses: no stray body bytes were sent
    assert json.loads(conn.getresponse().read()) == {"status": "ok"}
    conn.close()


def test_keep_alive(address):
    conn = http.client.HTTPConnection(*address, timeout=10)
    conn.request("POST", "/check", body=json.dumps({"name": "入民日报"}), headers=JSON)
    first = conn.getresponse()
    assert first.getheader("Connection") != "close"
    assert json.loads(first.read())["decision"] == "block"
    sock = conn.sock
    # an error whose body the server drains keeps the connection too
    conn.request("POST", "/nope", body=b'{"name": "x"}', headers=JSON)
    assert conn.getresponse().read() and conn.sock is sock
    conn.request("POST", "/check", body=json.dumps({"names": ["人民公园遛弯"]}), headers=JSON)
    second = conn.getresponse()
    assert json.loads(second.read())["results"][0]["decision"] == "pass"
    assert conn.sock is sock  # http.client reconnects silently when the server closed: it did not
    conn.close()


def test_no_log_line_per_request(address, capfd):
    capfd.readouterr()
    for _ in range(3):
        call(address, "POST", "/check", {"name": "入民日报"})
    call(address, "GET", "/nope")
    assert capfd.readouterr().err == ""


def test_serve_prints_address_and_stops_on_ctrl_c(detector, monkeypatch, capsys):
    closed = []

    def interrupted(self, poll_interval=0.5):
        raise KeyboardInterrupt

    monkeypatch.setattr(serve_module.ImpostorServer, "serve_forever", interrupted)
    monkeypatch.setattr(serve_module.ImpostorServer, "server_close",
                        lambda self: closed.append(self.server_address) or self.socket.close())
    serve_module.serve(detector, "127.0.0.1", 0, 1000, 10)
    err = capsys.readouterr().err
    assert err.startswith("impostor serve: listening on http://127.0.0.1:")
    assert err.strip().endswith(str(closed[0][1]))


def test_cli_serve_answers_and_stops_cleanly_on_sigterm():
    """`impostor serve --port 0` as users start it: prints where it listens, answers, exits 0 on SIGTERM."""
    import re
    import signal
    import subprocess
    import sys
    import urllib.request

    proc = subprocess.Popen([sys.executable, "-c", "from impostor.cli import main; main()", "--no-config", "serve",
                             "--port", "0"], stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        match = re.search(r"listening on (http://[\d.]+:\d+)", line)
        assert match, line
        request = urllib.request.Request(match.group(1) + "/check", data='{"name": "入民日报"}'.encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.loads(response.read())["target"] == "人民日报"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0


def raw_exchange(address: tuple[str, int], data: bytes) -> bytes:
    """Bytes sent on a fresh connection, and everything the server answers until it closes."""
    import socket

    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _post(body: bytes, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in ("POST /check HTTP/1.1", "Host: x", "Content-Type: application/json", *headers))
    return head.encode() + b"\r\n" + body


@pytest.mark.parametrize("request_bytes, status", [
    (b"GARBAGE\r\n\r\n", 400),  # no method, path or version
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),  # an HTTP/2 client's preface
    (b"GET /health HTTP/1.1 extra\r\n\r\n", 400),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),  # a TLS hello on the plain port
])
def test_a_malformed_request_gets_a_status_line_and_a_json_error(address, request_bytes, status):
    answer = raw_exchange(address, request_bytes)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:80]
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Content-Type: application/json" in head and "error" in json.loads(body)


def test_a_number_too_long_to_read_is_a_400_not_a_500(address, capfd):
    body = b'{"name": ' + b"1" * 5000 + b"}"
    answer = raw_exchange(address, _post(body, f"Content-Length: {len(body)}", "Connection: close"))
    assert answer.startswith(b"HTTP/1.1 400 ") and b"number too long" in answer
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("lengths, status", [
    (("13", "5"), 400), (("13, 5",), 400), (("13", "13"), 200), (("13, 13",), 200), (("+13",), 400),
    (("１３",), 400),  # full-width digits are "decimal" to Python, not to HTTP
])
def test_conflicting_content_lengths_are_refused_and_the_connection_closed(address, lengths, status):
    body = b'{"name": "a"}'
    assert len(body) == 13
    answer = raw_exchange(address, _post(body + b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                         *(f"Content-Length: {n}" for n in lengths)))
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:80]
    if status == 400:
        # Nothing after the refused request is read as another one: a smuggled request gets no answer.
        assert answer.count(b"HTTP/1.1 ") == 1 and b"Connection: close" in answer
    else:
        assert answer.count(b"HTTP/1.1 200 ") == 2  # the next request on the connection is answered too
