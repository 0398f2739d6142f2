"""Run headless Chromium and read what chrome://policy shows, over the DevTools protocol on a pipe.

Used by test_chrome.py inside a private mount namespace (so /etc/chromium/policies/managed can be a
temporary directory without touching the machine). Run as a script:

    python chromium_policy.py OUT_DIR EXTENSION_ID_OR_- CHROMIUM [FLAGS...]

It prints the policy page's data model as JSON (policy groups, each policy's value, level, scope,
source and status) and saves it and a screenshot of chrome://policy in OUT_DIR.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

READ_POLICIES = """(() => {
  const app = document.querySelector('policy-app');
  if (!app || !app.policyGroups_) return null;
  return JSON.stringify(app.policyGroups_.map(g => ({
    id: g.id, name: g.name, isExtension: !!g.isExtension,
    policies: (g.policies || []).filter(p => p.value !== undefined)})));
})()"""


class Cdp:
    def __init__(self, argv: list[str], stderr_path: Path) -> None:
        to_chrome_r, self._to_chrome_w = os.pipe()
        self._from_chrome_r, from_chrome_w = os.pipe()

        def fds() -> None:
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self._stderr = open(stderr_path, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen([*argv, "--remote-debugging-pipe"], pass_fds=(3, 4), preexec_fn=fds,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        self._id += 1
        msg: dict = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            chunk = os.read(self._from_chrome_r, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self._buf += chunk

    def close(self) -> None:
        with contextlib.suppress(Exception):  # it is going away either way
            self.call("Browser.close", timeout=10)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._stderr.close()


def read_policy_page(out: Path, extension_id: str | None, argv: list[str], timeout: float = 40) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    cdp = Cdp(argv, out / "chromium-stderr.txt")
    try:
        target = cdp.call("Target.createTarget", {"url": "chrome://policy"})["targetId"]
        session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        deadline = time.monotonic() + timeout
        groups: list[dict] = []
        while time.monotonic() < deadline:
            res = cdp.call("Runtime.evaluate", {"expression": READ_POLICIES, "returnByValue": True}, session)
            value = res.get("result", {}).get("value")
            groups = json.loads(value) if value else []
            chrome = next((g for g in groups if g["id"] == "chrome"), None)
            ready = chrome is not None and chrome["policies"]
            if ready and (extension_id is None or any(g["id"] == extension_id and g["policies"] for g in groups)):
                break
            time.sleep(0.5)
            cdp.call("Runtime.evaluate", {"expression": "chrome.send('reloadPolicies')"}, session)
        cdp.call("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": 1400, "deviceScaleFactor": 1, "mobile": False}, session)
        shot = cdp.call("Page.captureScreenshot", {"format": "png"}, session)
        (out / "chrome-policy.png").write_bytes(base64.b64decode(shot["data"]))
        (out / "chrome-policy.json").write_text(json.dumps(groups, indent=2, ensure_ascii=False))
        return groups
    finally:
        cdp.close()


if __name__ == "__main__":
    out_dir, ext, *chromium = sys.argv[1:]
    result = read_policy_page(Path(out_dir), None if ext == "-" else ext, chromium)
    print(json.dumps(result, ensure_ascii=False))
