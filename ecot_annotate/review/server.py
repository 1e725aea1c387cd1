"""The review server: a Starlette app over one run, served by uvicorn on the loopback address.

Every request needs the token the command printed: in the URL (`?token=`, which also sets a
same-site cookie so the page's own links and assets work) or, for changes, in the
`X-Review-Token` header, which a page of another site cannot send. A change is checked against
the corrections format (review/change_request.py) and appended to the run's corrections through
the server's in-memory layer (review/layer.py); nothing else is ever written, and no line ever
holds the token. Every text from the data or from reviewers reaches the page through Jinja's
autoescaping or `tojson`, the page's script sets only `textContent`, and every response forbids
framing and any script, style or connection but the page's own (SECURITY_HEADERS).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from ecot_annotate import __version__
from ecot_annotate.episode import REASONING_FIELDS
from ecot_annotate.inspect.quality import read_summary, summary_event_lead
from ecot_annotate.inspect.report import TEMPLATES, environment, page_name
from ecot_annotate.review.change_request import RequestError, parse_request, read_body
from ecot_annotate.review.episode_page import review_view
from ecot_annotate.review.layer import ReviewLayer
from ecot_annotate.review.queue import build_queue, queue_flags, run_title
from ecot_annotate.store.correction_lines import Line
from ecot_annotate.store.corrections import now, run_config_hash

COOKIE = "ecot_review_token"
ASSETS = ("report.css", "episode.js", "review_keys.js", "review.js", "review_index.js")
LINES_SHOWN = 50  # an episode's latest correction lines listed on its page
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the first URL holds the token
    "Cache-Control": "no-store",
}


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response, refusals included."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class TokenGate(BaseHTTPMiddleware):
    """403 unless the request carries the token (URL, header or the cookie the URL set)."""

    def __init__(self, app, token: str):
        super().__init__(app)
        self.token = token

    def _holds(self, value: str | None) -> bool:
        return value is not None and secrets.compare_digest(value, self.token)

    async def dispatch(self, request: Request, call_next):
        in_url = self._holds(request.query_params.get("token"))
        in_header = self._holds(request.headers.get("x-review-token"))
        in_cookie = self._holds(request.cookies.get(COOKIE))
        allowed = in_header if request.method != "GET" else in_url or in_header or in_cookie
        if not allowed:
            return PlainTextResponse(
                "403 forbidden: open the URL `ecot-annotate review` printed (it holds the token)",
                status_code=403,
            )
        response = await call_next(request)
        if in_url:
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
        return response


class ReviewApp:
    """The pages and the one change endpoint of a run's review. The pages read the run from disk,
    so they are plain functions, which Starlette runs in its thread pool."""

    def __init__(self, out: str | Path, reviewer: str, token: str):
        self.out, self.reviewer, self.token = Path(out), reviewer, token
        self.config_hash = run_config_hash(self.out)
        self.lead = summary_event_lead(read_summary(self.out))
        self.env = environment()
        self.layer = ReviewLayer(self.out, self.config_hash)
        with self.layer.reading() as corrections:
            self.queue = build_queue(self.out, corrections)
        self.by_index = {item.index: item for item in self.queue}

    def _page(self, position: int) -> str:
        """The page of the episode at `position` in the queue (pages are named by key order)."""
        return Path(page_name(self.queue[position].index)).name

    async def no_icon(self, request: Request):
        return Response(status_code=204)

    async def home(self, request: Request):
        query = request.url.query
        return RedirectResponse("/index.html" + (f"?{query}" if query else ""))

    def index(self, request: Request):
        with self.layer.reading() as corrections:
            for item in self.queue:
                item.review = corrections.review(item.key)
            counts, stale = corrections.counts(), corrections.stale
        html = self.env.get_template("review_index.html").render(
            title=run_title(self.out),
            run=str(self.out),
            items=self.queue,
            flags=queue_flags(self.queue),
            counts=counts,
            stale=stale[:LINES_SHOWN],
            n_stale=len(stale),
            reviewer=self.reviewer,
            version=__version__,
        )
        return HTMLResponse(html)

    async def asset(self, request: Request):
        name = request.path_params["name"]
        if name not in ASSETS:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(TEMPLATES / name)

    def _item(self, request: Request):
        index = int(request.path_params["index"])
        return self.by_index.get(index)

    def _unreviewed_after(self, position: int, corrections) -> str | None:
        """The page of the next unreviewed episode after `position` in the queue, wrapping round."""
        n = len(self.queue)
        for later in range(position + 1, position + n):
            if corrections.review(self.queue[later % n].key).status == "unreviewed":
                return self._page(later % n)
        return None

    def episode(self, request: Request):
        item = self._item(request)
        if item is None:
            return PlainTextResponse("no such episode", status_code=404)
        position = self.queue.index(item)
        with self.layer.reading() as corrections:
            review = corrections.review(item.key)
            corrected = self.layer.corrected(item.key)
            shown = {
                "version": review.version,
                "status": review.status,
                "verdict": review.verdict,
                "lines": review.lines[-LINES_SHOWN:],
                "n_lines": len(review.lines),
                "n_conflicts": len(review.conflicts),
                "stale": review.stale[-LINES_SHOWN:],
            }
            unreviewed = self._unreviewed_after(position, corrections)
        view = review_view(self.out, item.key, corrected, item.index, self.lead)
        view["flags"] = item.reasons
        links = {
            "prev": self._page(position - 1) if position > 0 else None,
            "next": self._page(position + 1) if position + 1 < len(self.queue) else None,
        }
        page = {
            "index": item.index,
            "key": item.key,
            "version": shown["version"],
            "token": self.token,
            "status": shown["status"],
            "reviewer": self.reviewer,  # the default until the person gives a name in this browser
            "fields": list(REASONING_FIELDS),
            "texts": view.pop("texts"),
            "size": [view["width"], view["height"]],
            **links,
            "next_unreviewed": unreviewed,
        }
        html = self.env.get_template("review_episode.html").render(
            episode=view,
            links=links,
            total=len(self.queue),
            position=position + 1,
            review=shown,
            page=page,
            reviewer=self.reviewer,
            version=__version__,
        )
        return HTMLResponse(html)

    async def change(self, request: Request):
        """Append one change; answer the line written, its conflict if any, and the new version.
        A change the format does not allow is refused (400, 413) and nothing is written."""
        item = self._item(request)
        if item is None:
            return JSONResponse({"error": "no such episode"}, status_code=404)
        try:
            asked = parse_request(await read_body(request), item.quality.n_steps)
            line = Line(
                episode=item.key,
                config_hash=self.config_hash,
                change=asked.change,
                time=now(),
                reviewer=asked.reviewer or self.reviewer,
                version=asked.version,
                id=asked.id,
            )
            if self.token in json.dumps(line.to_json(), ensure_ascii=False):
                raise RequestError(400, "a change must not hold the review token")
        except RequestError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        written, repeated, version = await run_in_threadpool(self.layer.save, line)
        conflict = written.to_json().get("conflict")
        answer = {"line": written.to_json(), "conflict": conflict, "version": version}
        return JSONResponse({**answer, "repeated": repeated})


def make_app(out: str | Path, reviewer: str, token: str) -> Starlette:
    """The review app of run `out`; `token` guards every request."""
    review = ReviewApp(out, reviewer, token)
    routes = [
        Route("/", review.home),
        Route("/favicon.ico", review.no_icon),
        Route("/index.html", review.index),
        Route("/assets/{name}", review.asset),
        Route("/episodes/{index:int}.html", review.episode),
        Route("/api/episodes/{index:int}/changes", review.change, methods=["POST"]),
    ]
    middleware = [Middleware(SecurityHeaders), Middleware(TokenGate, token=token)]
    return Starlette(routes=routes, middleware=middleware)


def new_token() -> str:
    return secrets.token_urlsafe(24)
