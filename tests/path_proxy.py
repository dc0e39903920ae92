"""An HTTP reverse proxy that serves the app under a path, as README's "Under a path" sets one up."""

from __future__ import annotations

import http.client
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Hop-by-hop headers (RFC 9110, 7.6.1) are the proxy's own; a request's length is set again for its body.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade"}


class PathProxy:
    """127.0.0.1:<port>/<prefix>/... passed on to 127.0.0.1:<upstream_port>/... with the prefix taken off, as
    nginx's `location /linkapp/ { proxy_pass http://127.0.0.1:8000/; }` does; the Host header as the client
    sent it; nothing outside the prefix reaches the app. Each answer is passed back as it came (no redirect
    followed, every Set-Cookie kept)."""

    def __init__(self, prefix: str, upstream_port: int) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_PassOn, prefix, upstream_port))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> PathProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _PassOn(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, prefix: str, upstream_port: int, *args, **kwargs) -> None:
        self.prefix = prefix
        self.upstream_port = upstream_port
        super().__init__(*args, **kwargs)

    def _pass_on(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.path.startswith(self.prefix + "/"):
            self.send_error(404)
            return
        headers = {
            name: value for name, value in self.headers.items() if name.lower() not in {*HOP_BY_HOP, "content-length"}
        }
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            upstream.request(self.command, self.path.removeprefix(self.prefix), body or None, headers)
            answer = upstream.getresponse()
            content = answer.read()
        except OSError:
            self.send_error(502)
            return
        finally:
            upstream.close()
        self.send_response_only(answer.status, answer.reason)  # with the app's own Date and Server
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        if answer.getheader("Content-Length") is None:  # the app's answer came in chunks
            self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_HEAD = do_POST = _pass_on

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        """Quiet: the OAuth callbacks' codes would be written to the test output."""
