"""A tiny threaded WSGI server with fault injection, the base of every fake social API.

Each fake (Reddit, X, Bluesky, Mastodon, HN) subclasses :class:`FakeServer`, implements
``route(request)`` from a :class:`~tests.fakes.corpus.Corpus`, and inherits:

- ``fail(path_part, *faults)``: the next requests whose path contains ``path_part`` get these
  faults in order (an HTTP status with headers, a slow answer that trips the client's timeout,
  or a truncated JSON body), then the real answer;
- ``log``: every request served (method, path, query args), so tests can assert what a
  collector asked for, e.g. that a resumed run did not re-fetch committed pages.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected failure: ``status`` (with ``headers``), ``delay`` seconds, or ``truncate``."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: bool = False
    body: str | None = None


@dataclass(frozen=True, slots=True)
class Logged:
    method: str
    path: str
    args: dict[str, str]
    headers: dict[str, str]


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(payload), status=status, headers=headers or {}, content_type="application/json"
    )


_WORD = re.compile(r"[\w]+")
_IGNORED = {"and", "or", "not", "is", "retweet"}


def query_words(query: str) -> set[str]:
    """The positive words of a search query (operators, negations and filters dropped).

    Real search engines are smarter; the fakes only need to be at least as broad, because
    the pipeline matches every post against the watchlist exactly afterwards.
    """
    words = set()
    for token in re.split(r"\s+", query.replace("(", " ").replace(")", " ")):
        if token.startswith("-") or ":" in token:
            continue
        words |= {w.lower() for w in _WORD.findall(token)}
    return words - _IGNORED


class FakeServer:
    """Base class; subclasses implement :meth:`route`."""

    def __init__(self) -> None:
        self._faults: list[tuple[str, Fault]] = []
        self._lock = threading.Lock()
        self.log: list[Logged] = []
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FakeServer:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @contextmanager
    def running(self) -> Iterator[FakeServer]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    # --- faults and log -----------------------------------------------------------------------

    def fail(self, path_part: str, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend((path_part, f) for f in faults)

    def requests_to(self, path_part: str) -> list[Logged]:
        return [r for r in self.log if path_part in r.path]

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for i, (part, fault) in enumerate(self._faults):
                if part in path:
                    del self._faults[i]
                    return fault
        return None

    # --- WSGI ---------------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        raise NotImplementedError

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        with self._lock:
            self.log.append(
                Logged(request.method, request.path, dict(request.args), dict(request.headers))
            )
        fault = self._take_fault(request.path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            body = fault.body if fault.body is not None else json.dumps({"error": fault.status})
            response = Response(
                body, status=fault.status, headers=fault.headers, content_type="application/json"
            )
        else:
            response = self.route(request)
            if fault is not None and fault.truncate:
                data = response.get_data()
                response.set_data(data[: max(1, len(data) // 2)])
        return response(environ, start_response)
