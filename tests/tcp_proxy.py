"""A TCP proxy for fault tests: put it between the app and Redis or Postgres, then drop or hang connections."""

from __future__ import annotations

import socket
import threading


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
        self._lock = threading.Lock()
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def set_mode(self, mode: str) -> None:
        assert mode in {"pass", "refuse", "hang"}
        self.mode = mode
        if mode != "pass":
            self._cut_all()

    def stop(self) -> None:
        self._stopped = True
        self._listener.close()
        self._cut_all()

    def _cut_all(self) -> None:
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "refuse":
                client.close()
            elif self.mode == "hang":
                self._track(client)  # held open, never read: the client's timeout must fire
            else:
                try:
                    upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                except OSError:
                    client.close()
                    continue
                upstream.settimeout(None)  # the 5 s was for connecting: an idle connection stays open
                self._track(client)
                self._track(upstream)
                threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
                threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
