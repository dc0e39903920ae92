"""A TCP proxy for fault tests: put it between the app and Redis or Postgres, then drop or hang connections."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target port.

    mode "pass" forwards; "refuse" closes every connection at once (a service that is down);
    "hang" accepts and never answers (a service that stopped responding). Leaving "pass"
    also cuts the connections already open, as a crash or a network partition would.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.mode = "pass"
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        # Held across a mode change and its cut, and across each new connection's mode check and tracking:
        # a connection accepted as the mode changes is either cut with the others or sees the new mode.
        self._lock = threading.Lock()
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def set_mode(self, mode: str) -> None:
        assert mode in {"pass", "refuse", "hang"}
        with self._lock:
            self.mode = mode
            if mode != "pass":
                self._cut_all()

    def stop(self) -> None:
        with self._lock:
            self.mode = "refuse"
            self._cut_all()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread in accept(), which close() alone does not
        except OSError:
            pass
        self._listener.close()
        self._accepting.join(timeout=5)

    def _cut_all(self) -> None:
        """With the lock held."""
        sockets, self._open = self._open, set()
        for sock in sockets:
            _shut(sock)
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # stopped
            self._serve(client)

    def _serve(self, client: socket.socket) -> None:
        """A new connection in the current mode, or in the new one if the mode changed while connecting upstream."""
        while True:
            mode, upstream = self.mode, None
            if mode == "pass":
                try:
                    upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                except OSError:
                    client.close()
                    return
                upstream.settimeout(None)  # the 5 s was for connecting: an idle connection stays open
            with self._lock:
                if self.mode != mode:
                    if upstream is not None:
                        upstream.close()
                    continue
                if mode == "refuse":
                    client.close()
                    return
                self._open.add(client)  # in "hang": held open, never read, so the client's timeout must fire
                if upstream is not None:
                    self._open.add(upstream)
            break
        if upstream is not None:
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        """Until either side closes; both are closed at the next cut or at stop(), never under the other pump."""
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _shut(source)
            _shut(sink)  # ends the other direction's pump too


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def cut_after(proxy: TcpProxy, monkeypatch, owner: object, name: str, mode: str = "refuse") -> None:
    """`owner.name` runs as usual, then the proxy cuts its service: a fault at an exact point in a request."""
    original: Callable = getattr(owner, name)

    def then_cut(*args, **kwargs):
        result = original(*args, **kwargs)
        proxy.set_mode(mode)
        return result

    monkeypatch.setattr(owner, name, then_cut)
