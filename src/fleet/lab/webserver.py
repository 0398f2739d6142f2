"""The lab's local web server on 127.0.0.1 (run as a script: ``python -I webserver.py PORT MARKER ENGINE_DIR``).

* ``GET /ext/updates.xml``, ``GET /ext/<variant>.crx``: the test extensions' update manifest and
  packages (files under ENGINE_DIR/web/ext, written by fleet.lab.browser);
* ``POST /ext/report``: a lab browser's extension reports the fingerprints of its managed storage;
  the user agent (``fleet-lab/HOST``) names the host; kept in ENGINE_DIR/browser-reports/HOST/ID.json;
* anything else: 204, the stand-in for the vendor's sync endpoint that ``fleet health`` probes.

Standard library only, no fleet import: it starts fast and outlives the command that started it.
"""

import http.server
import json
import os
import re
import sys
import threading
import time
from typing import Any

ENGINE = sys.argv[3] if len(sys.argv) > 3 else "."
WEB = os.path.join(ENGINE, "web", "ext")
REPORTS = os.path.join(ENGINE, "browser-reports")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
EXT_ID = re.compile(r"^[a-p]{32}$")
TYPES = {".xml": "text/xml", ".crx": "application/x-chrome-extension"}
MAX_REPORT = 64 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    def _send(self, code: int, body: bytes = b"", ctype: str = "text/plain") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/ext/"):
            name = path[len("/ext/"):]
            ext = os.path.splitext(name)[1]
            if not NAME.match(name) or ext not in TYPES:
                return self._send(404)
            try:
                with open(os.path.join(WEB, name), "rb") as f:
                    return self._send(200, f.read(), TYPES[ext])
            except OSError:
                return self._send(404)
        self.send_response(204)
        self.end_headers()

    do_HEAD = do_GET

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != "/ext/report":
            return self._send(404)
        agent = self.headers.get("User-Agent", "")
        host = agent.split("fleet-lab/", 1)[1].split()[0] if "fleet-lab/" in agent else ""
        size = int(self.headers.get("Content-Length") or 0)
        if not NAME.match(host) or not 0 < size <= MAX_REPORT:
            return self._send(400)
        try:
            report = json.loads(self.rfile.read(size))
            ext_id = str(report["extension_id"])
            managed = {str(k): str(v)[:16] for k, v in dict(report.get("managed") or {}).items()}
        except (ValueError, KeyError, TypeError):
            return self._send(400)
        if not EXT_ID.match(ext_id):
            return self._send(400)
        doc = {"host": host, "extension_id": ext_id, "variant": str(report.get("variant", "")),
               "version": str(report.get("version", "")), "why": str(report.get("why", "")),
               "managed": managed, "received_at": time.time()}
        d = os.path.join(REPORTS, host)
        os.makedirs(d, exist_ok=True)
        # The extension often sends two reports at once ("installed" and "loaded"): one temporary file each.
        tmp = os.path.join(d, f".{ext_id}.{threading.get_ident()}.tmp")
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, os.path.join(d, f"{ext_id}.json"))
        self._send(204)

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        """One line per request in the lab's endpoint.log (what each browser fetched or reported,
        and when): the time, the host from the user agent, the request without its query, the status."""
        agent = self.headers.get("User-Agent", "") if self.headers else ""
        host = agent.split("fleet-lab/", 1)[1].split()[0] if "fleet-lab/" in agent else "-"
        code = getattr(code, "value", code)
        path = self.path.split("?", 1)[0] if self.path else "-"
        sys.stderr.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {host} {self.command} {path} {code}\n")
        sys.stderr.flush()

    def log_message(self, format: str, *args: Any) -> None:  # errors: quiet (log_request writes the lines)
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
