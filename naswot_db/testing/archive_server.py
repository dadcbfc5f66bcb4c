"""A real HTTP server on 127.0.0.1 for fetch tests: serves files with ETag and byte ranges (as
nginx, S3 or a release page do), records each request's headers, and can cut a transfer short.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class ServedFiles:
    """Files by URL path; ``cut_after`` bytes of the next response body, then the connection
    closes (a dropped transfer); ``ranges`` off: every answer is the whole file (a server
    without range support); the headers of every request received."""

    files: dict[str, Path]
    cut_after: int | None = None
    ranges: bool = True
    requests: list[dict[str, str]] = field(default_factory=list)
    base_url: str = ""

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"


def _handler(served: ServedFiles) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            served.requests.append(dict(self.headers.items()))
            path = served.files.get(self.path.lstrip("/"))
            if path is None:
                self.send_error(404)
                return
            data = path.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            start, status = 0, 200
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            if served.ranges and match and self.headers.get("If-Range", etag) == etag:
                start, status = int(match.group(1)), 206
            body = data[start:]
            self.send_response(status)
            self.send_header("ETag", etag)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(len(body)))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if served.cut_after is not None:
                body, served.cut_after = body[:served.cut_after], None
                self.close_connection = True
            self.wfile.write(body)

    return Handler


@contextmanager
def serve(files: dict[str, Path]) -> Iterator[ServedFiles]:
    """Serve ``files`` from a thread for the duration of the block."""
    served = ServedFiles(files)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    served.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
