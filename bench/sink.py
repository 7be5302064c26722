"""sink - a minimal, fast SMTP sink on 127.0.0.1 for benchmarks: answers
every command, counts and discards the message bytes (no parsing beyond
finding the end of DATA), so the sink's own cost stays out of the way.
Usage as a module: Sink().port, .messages, .bytes; .stop()."""
import os
import socket
import subprocess
import threading
import time


class Sink:
    def __init__(self, extensions=("PIPELINING", "8BITMIME", "SIZE"),
                 tls=None):
        self.ext = list(extensions) + (["STARTTLS"] if tls else [])
        self.tls = tls  # an ssl.SSLContext for STARTTLS, or None
        self.messages = 0
        self.bytes = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._srv = socket.socket()
        self._srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._srv.bind(("127.0.0.1", 0))
        self._srv.listen(64)
        self.port = self._srv.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._stop:
            try:
                c, _ = self._srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()

    def _serve(self, c):
        with self._lock:
            self.connections += 1
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.sendall(b"220 sink ESMTP\r\n")
        buf = b""
        in_data = False
        tail = b""
        try:
            while True:
                d = c.recv(1 << 20)
                if not d:
                    return
                if in_data:
                    self.bytes += len(d)
                    window = tail + d
                    end = window.find(b"\r\n.\r\n")
                    if end < 0:
                        tail = window[-4:]
                        continue
                    in_data = False
                    self._count()
                    buf = window[end + 5:]
                    c.sendall(b"250 2.0.0 Ok: queued\r\n")
                else:
                    buf += d
                out = []
                while b"\r\n" in buf and not in_data:
                    line, buf = buf.split(b"\r\n", 1)
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        out.append(b"250-sink\r\n" + b"".join(
                            b"250-" + e.encode() + b"\r\n"
                            for e in self.ext) + b"250 HELP\r\n")
                    elif verb == b"DATA":
                        out.append(b"354 go\r\n")
                        in_data = True
                        tail = b"\r\n"
                        window = tail + buf
                        end = window.find(b"\r\n.\r\n")
                        if end >= 0:
                            in_data = False
                            self._count()
                            buf = window[end + 5:]
                            out.append(b"250 2.0.0 Ok: queued\r\n")
                        else:
                            self.bytes += len(buf)
                            tail = window[-4:]
                            buf = b""
                    elif verb == b"STAR" and self.tls is not None:
                        c.sendall(b"".join(out) + b"220 go ahead\r\n")
                        out = []
                        c = self.tls.wrap_socket(c, server_side=True)
                        buf = b""
                        break
                    elif verb == b"QUIT":
                        out.append(b"221 bye\r\n")
                        c.sendall(b"".join(out))
                        return
                    else:
                        out.append(b"250 ok\r\n")
                if out:
                    c.sendall(b"".join(out))
        except OSError:
            return
        finally:
            c.close()

    def _count(self):
        with self._lock:
            self.messages += 1

    def stop(self):
        self._stop = True
        self._srv.close()


class CSink:
    """bench/src/sinkd.c, built here: the same counters, without Python's
    cost per message (use it for rates in the thousands per second)."""

    def __init__(self, workdir):
        here = os.path.dirname(os.path.abspath(__file__))
        binary = os.path.join(workdir, "sinkd")
        subprocess.run(["cc", "-O2", "-o", binary,
                        os.path.join(here, "src", "sinkd.c")], check=True)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self._p = subprocess.Popen([binary, str(self.port)])
        for _ in range(100):
            try:
                self._stat()
                break
            except OSError:
                time.sleep(0.02)

    def _stat(self):
        c = socket.create_connection(("127.0.0.1", self.port))
        f = c.makefile("rb")
        f.readline()
        c.sendall(b"XSTAT\r\n")
        parts = f.readline().split()
        c.close()
        return int(parts[1]), int(parts[2])  # sinkd leaves XSTAT out

    @property
    def messages(self):
        return self._stat()[0]

    @property
    def connections(self):
        return self._stat()[1]

    def stop(self):
        self._p.kill()
        self._p.wait()
