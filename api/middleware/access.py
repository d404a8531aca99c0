"""API keys, the per-client rate limit and the failed-authentication limit (401 / 429).

Guarded paths (``/api/``, ``/v1/``, admin paths aside) need a key when ``api_keys`` is set and
count toward ``rate_limit_per_minute`` per key (per IP without one). Admin paths check their
own key (``api.deps.require_admin``) and count per IP. Every 401/403 answered on either counts
toward ``auth_failures_per_minute`` for its IP; past that, every guarded or admin request from
the IP is answered 429 before any key is looked at, so keys cannot be guessed quickly.
Open paths (``/healthz``, ``/readyz``, ``/``, ``/widget.js``, ``/favicon.ico``, ``/admin``,
``/static``, ``/docs``) pass.

Example:
    >>> app.add_middleware(AccessMiddleware, settings=settings, proxies=TrustedProxies())
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import bearer_token
from api.errors import error_payload
from api.middleware.clients import TrustedProxies
from api.middleware.limiter import SlidingWindowLimiter
from qa.settings import Settings

logger = logging.getLogger(__name__)

GUARDED_PREFIXES = ("/api/", "/v1/")
ADMIN_PATHS = ("/api/admin/", "/api/feedback/export")
UNAUTHORIZED = (
    "缺少或无效的 API 密钥,请在请求头中提供 Authorization: Bearer <密钥> / "
    "Missing or invalid API key (send Authorization: Bearer <key>)."
)
TOO_MANY = "请求过于频繁,请 {s} 秒后再试 / Too many requests, retry in {s} s."
TOO_MANY_FAILURES = (
    "认证失败次数过多,请 {s} 秒后再试 / Too many failed authentications, retry in {s} s."
)
AUTH_FAILURES = (401, 403)


def split_csv(value: str) -> list[str]:
    """Non-empty, stripped items of a comma-separated setting."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def is_guarded(path: str) -> bool:
    """True for paths that need an API key (when keys are set) and count toward the limit."""
    return path.startswith(GUARDED_PREFIXES) and not is_admin(path)


def is_admin(path: str) -> bool:
    """True for the admin paths (their own key; limited per IP)."""
    return path.startswith(ADMIN_PATHS)


def _limiter(per_minute: int) -> SlidingWindowLimiter | None:
    return SlidingWindowLimiter(per_minute) if per_minute > 0 else None


class AccessMiddleware:
    """401 without a valid key, 429 past the rate or failed-authentication limit."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        proxies: TrustedProxies | None = None,
        limiter: SlidingWindowLimiter | None = None,
        failures: SlidingWindowLimiter | None = None,
    ) -> None:
        self.app = app
        self.keys = [k.encode() for k in split_csv(settings.api_keys)]
        self.proxies = proxies or TrustedProxies.parse(split_csv(settings.trusted_proxies))
        self.limiter = limiter or _limiter(settings.rate_limit_per_minute)
        self.failures = failures or _limiter(settings.auth_failures_per_minute)

    def _valid_key(self, token: str) -> bool:
        given = token.encode()
        return any(hmac.compare_digest(given, key) for key in self.keys)  # no early exit

    def _failed(self, ip: str) -> None:
        if self.failures is not None:
            self.failures.hit(ip)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        guarded = is_guarded(path)
        if scope["type"] != "http" or not (guarded or is_admin(path)):
            await self.app(scope, receive, send)
            return
        ip = "ip:" + self.proxies.client_ip(scope)
        if self.failures is not None and (wait := self.failures.wait(ip)) > 0:
            await _too_many(scope, receive, send, ip, wait, TOO_MANY_FAILURES, "auth_failures")
            return
        token = bearer_token(Request(scope))
        valid = bool(token) and self._valid_key(token)
        if guarded and self.keys and not valid:
            self._failed(ip)
            body = error_payload(path, 401, UNAUTHORIZED)
            await JSONResponse(body, 401, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        if self.limiter is not None:
            key = "key:" + hashlib.sha256(token.encode()).hexdigest()[:16]
            client = key if guarded and valid else ip
            if (wait := self.limiter.hit(client)) > 0:
                await _too_many(scope, receive, send, client, wait, TOO_MANY, "rate")
                return

        async def send_counting_failures(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in AUTH_FAILURES:
                self._failed(ip)  # the admin key check (403) runs in the route
            await send(message)

        await self.app(scope, receive, send_counting_failures)


async def _too_many(
    scope: Scope,
    receive: Receive,
    send: Send,
    client: str,
    wait: float,
    template: str,
    reason: str,
) -> None:
    """A 429 with ``Retry-After`` (whole seconds) and ``template``'s message."""
    seconds = max(1, math.ceil(wait))
    logger.warning("rate limited client=%s reason=%s retry_after=%d", client, reason, seconds)
    body = error_payload(scope["path"], 429, template.format(s=seconds))
    await JSONResponse(body, 429, {"Retry-After": str(seconds)})(scope, receive, send)
