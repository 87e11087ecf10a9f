"""A reference inquiry platform speaking the HTTP contract (docs/pricing.md), for tests and trials.

    server = ReferencePlatform(secret="…", amount_fen=123_456_00).start()   # 127.0.0.1, free port
    ... platform config {"url": server.url} ...
    server.stop()

``mode`` changes how it answers, so the engine's handling of each case can be exercised over
a real socket: ``good`` (report at once), ``deferred`` (202 + ``remote_id``, the report on a
later status call), ``malformed`` (a signed answer that breaks the schema), ``bad_signature``
(a good report with a wrong signature), ``not_json``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pricing.platforms import SIGNATURE_HEADER, sign, verify


class ReferencePlatform:
    def __init__(
        self,
        *,
        secret: str,
        amount_fen: int = 100_000_000,
        currency: str = "CNY",
        mode: str = "good",
    ) -> None:
        self.secret = secret
        self.amount_fen = amount_fen
        self.currency = currency
        self.mode = mode
        self.received: list[dict[str, Any]] = []
        self.rejected_signatures = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- what the platform answers
    def report(self) -> dict[str, Any]:
        a = self.amount_fen
        return {
            "amount_fen": a,
            "currency": self.currency,
            "method": "参考平台：同小区近期挂牌与成交均价",
            "interval": {"low_fen": int(a * 0.9), "high_fen": int(a * 1.1), "level": 0.8},
            "facts": {"note": "参考实现"},
            "samples": [{"price_fen": a, "note": "样本"}],
            "explanation": [{"feature": "location", "label": "位置", "effect_pct": 5.0}],
            "valid_until": None,
            "model": {"dataset": "参考平台样本数据"},
        }

    def answer(self, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
        if self.mode == "deferred" and path == "/valuations":
            return 202, {"status": "accepted", "remote_id": f"ref-{len(self.received)}"}
        if self.mode == "malformed":
            return 200, {"status": "reported", "report": {"amount_fen": "很多", "currency": "CNY"}}
        return 200, {
            "status": "reported",
            "remote_id": payload.get("remote_id", "ref-now"),
            "report": self.report(),
        }

    # -- the server
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet in tests
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not verify(platform.secret, body, self.headers.get(SIGNATURE_HEADER)):
                    platform.rejected_signatures += 1
                    self._send(401, {"error": "bad signature"})
                    return
                payload = json.loads(body.decode("utf-8"))
                platform.received.append({"path": self.path, "payload": payload})
                status, data = platform.answer(self.path, payload)
                self._send(status, data)

            def _send(self, status: int, data: Any) -> None:
                raw = (
                    b"{not json"
                    if platform.mode == "not_json"
                    else json.dumps(data, ensure_ascii=False).encode()
                )
                sig = sign(platform.secret, raw)
                if platform.mode == "bad_signature":
                    sig = sign(platform.secret + "-wrong", raw)
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header(SIGNATURE_HEADER, sig)
                self.end_headers()
                self.wfile.write(raw)

        return Handler

    def start(self) -> ReferencePlatform:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
