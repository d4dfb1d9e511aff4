"""A loopback TCP proxy between the browser and Odoo, to cut the network for real.

DevTools' network emulation does not reach every fetch of a service worker; a phone in a
basement has no server at all. So the browser talks to Odoo through this proxy, which can:
- ``offline()``: close every connection and refuse new ones (the server is unreachable);
- ``online()``: accept and forward again;
- ``drop_answers(marker)``: forward requests, but swallow the answer of those whose request line
  contains ``marker`` and cut the connection (the server did the work, the phone never knows);
- ``hang(marker="")``: accept connections and read the requests (those whose request line holds
  ``marker``; all by default), but never forward nor answer them (one bar that answers nothing:
  the browser still believes it is online); ``online()`` ends it for new requests, a request
  already swallowed stays unanswered.
"""

import select
import socket
import threading

LOOPBACK = "127.0.0.1"


class NetProxy:
    def __init__(self, target_port):
        self.target_port = target_port
        self.port = None
        self._listener = None
        self._connections = set()
        self._lock = threading.Lock()
        self._drop_marker = None
        self._hang_marker = None
        self.hung = 0  # requests never answered
        self.dropped = 0  # answers swallowed
        self.received_bytes = 0  # bytes sent to the browser
        self._thread = None

    @property
    def url(self):
        return f"http://{LOOPBACK}:{self.port}"

    # ------------------------------------------------------------------ switches
    def online(self):
        self._hang_marker = None
        if self._listener:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, self.port or 0))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def offline(self):
        listener, self._listener = self._listener, None
        if listener:
            self._close(listener)  # shutdown first: a bare close() leaves a blocked accept() listening
            self._thread.join(timeout=5)
        with self._lock:
            connections, self._connections = self._connections, set()
        for sock in connections:
            self._close(sock)

    def hang(self, marker=""):
        """The network hangs: every request from now on (or those whose request line holds
        ``marker``) is read and never answered."""
        self.online()
        self._hang_marker = marker.encode()
        if marker:
            return
        with self._lock:  # a kept-alive connection would still answer: the next request opens a new one
            connections, self._connections = self._connections, set()
        for sock in connections:
            self._close(sock)

    def drop_answers(self, marker):
        """Swallow the answers of the requests whose request line holds ``marker`` (None: stop)."""
        self._drop_marker = marker.encode() if marker else None

    stop = offline

    # ------------------------------------------------------------------ plumbing
    @staticmethod
    def _close(sock):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, __ = listener.accept()
            except OSError:
                return  # closed: offline
            with self._lock:
                self._connections.add(client)
            threading.Thread(target=self._pump, args=(client,), daemon=True).start()

    def _pump(self, client):
        """Copy both ways; when a request carries the drop marker, its answer goes nowhere.

        Odoo is reached only when the browser sends a request: the browser opens spare
        connections it may never use, and an idle connection makes an Odoo worker log a timeout."""
        upstream = None
        swallowing = False
        hanging = False
        try:
            while True:
                readable, __, __ = select.select([client] + ([upstream] if upstream else []), [], [], 120)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client:
                        hang = self._hang_marker
                        if hanging or (hang is not None and hang in data.split(b"\r\n", 1)[0]):
                            self.hung += not hanging
                            hanging = True  # read, never forwarded: the browser waits for nothing
                            continue
                        if upstream is None:
                            upstream = socket.create_connection((LOOPBACK, self.target_port), timeout=10)
                            upstream.settimeout(None)
                            with self._lock:
                                self._connections.add(upstream)
                        marker = self._drop_marker
                        if marker and marker in data.split(b"\r\n", 1)[0]:
                            swallowing = True
                        upstream.sendall(data)
                    elif swallowing:
                        # the server answered (its work is committed): the phone never sees it
                        self.dropped += 1
                        return
                    else:
                        self.received_bytes += len(data)
                        client.sendall(data)
        except OSError:
            return
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with self._lock:
                        self._connections.discard(sock)
                    self._close(sock)
