"""A real HTTP receiver on 127.0.0.1 for webhook tests: records every request and answers
with the next status of a script (then 200). Usable in-process (thread) or as a subprocess
writing a JSON-lines log (the fault test)."""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, statuses=None, log_path=None):
        self.statuses = list(statuses or [])
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.log_path = log_path
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    record = {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                        "status": status,
                    }
                    receiver.requests.append(record)
                    if receiver.log_path:
                        with open(receiver.log_path, "a") as fh:
                            fh.write(json.dumps(record) + "\n")
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"nope")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def successes(self) -> list[dict]:
        return [r for r in self.requests if r["status"] < 300]


if __name__ == "__main__":
    # python receiver.py LOG_PATH PORT_FILE: serve forever, log requests, write the port.
    with Receiver(log_path=sys.argv[1]) as r:
        with open(sys.argv[2], "w") as fh:
            fh.write(str(r.port))
        threading.Event().wait()
