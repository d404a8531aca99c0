"""The middleware stack, outermost first: CORS, request log, hang-ups, access, body limit.

Keys and limits are checked before a body is read; the request log sees every answer,
including 401, 413 and 429.

Example:
    >>> install_middleware(app, settings)
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.middleware.access import AccessMiddleware, split_csv
from api.middleware.body_limit import BodyLimitMiddleware
from api.middleware.clients import TrustedProxies
from api.middleware.disconnects import DisconnectMiddleware
from api.middleware.request_log import RequestLogMiddleware
from qa.settings import Settings


def install_middleware(
    app: FastAPI, settings: Settings, body_limits: Mapping[str, int] | None = None
) -> None:
    """Add the stack; a bad ``trusted_proxies`` entry raises ``ValueError`` here.

    ``body_limits``: paths whose bodies may exceed ``max_body_bytes`` (uploads), each with its
    own limit.
    """
    proxies = TrustedProxies.parse(split_csv(settings.trusted_proxies))
    app.add_middleware(  # innermost first
        BodyLimitMiddleware, max_bytes=settings.max_body_bytes, limits=body_limits
    )
    app.add_middleware(AccessMiddleware, settings=settings, proxies=proxies)
    app.add_middleware(DisconnectMiddleware)
    app.add_middleware(RequestLogMiddleware, log_questions=settings.log_questions)
    origins = split_csv(settings.cors_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "X-Admin-Key"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
