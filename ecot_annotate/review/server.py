"""The review server: a Starlette app over one run, served by uvicorn on the loopback address.

Every request needs the token the command printed: in the URL (`?token=`, which also sets a
same-site cookie so the page's own links and assets work) or, for changes, in the
`X-Review-Token` header, which a page of another site cannot send. Changes are appended to the
run's corrections (store/corrections.py) and nothing else is ever written. Every text from the
data or from reviewers reaches the page through Jinja's autoescaping or `tojson`, and the page's
script sets only `textContent`.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
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
from ecot_annotate.review.episode_page import review_view
from ecot_annotate.review.queue import build_queue, queue_flags, run_title
from ecot_annotate.store.corrections import Corrections, append, check_line, run_config_hash

COOKIE = "ecot_review_token"
ASSETS = ("report.css", "episode.js", "review.js")


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
        self.queue = build_queue(self.out, self.corrections())
        self.by_index = {item.index: item for item in self.queue}

    def corrections(self) -> Corrections:
        return Corrections.load(self.out, self.config_hash)

    def _page(self, position: int) -> str:
        """The page of the episode at `position` in the queue (pages are named by key order)."""
        return Path(page_name(self.queue[position].index)).name

    async def no_icon(self, request: Request):
        return Response(status_code=204)

    async def home(self, request: Request):
        query = request.url.query
        return RedirectResponse("/index.html" + (f"?{query}" if query else ""))

    def index(self, request: Request):
        corrections = self.corrections()
        for item in self.queue:
            item.review = corrections.review(item.key)
        html = self.env.get_template("review_index.html").render(
            title=run_title(self.out),
            run=str(self.out),
            items=self.queue,
            flags=queue_flags(self.queue),
            counts=corrections.counts(),
            stale=corrections.stale,
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

    def episode(self, request: Request):
        item = self._item(request)
        if item is None:
            return PlainTextResponse("no such episode", status_code=404)
        corrections = self.corrections()
        review = corrections.review(item.key)
        view = review_view(self.out, item.key, corrections, item.index, self.lead)
        view["flags"] = item.reasons
        position = self.queue.index(item)
        links = {
            "prev": self._page(position - 1) if position > 0 else None,
            "next": self._page(position + 1) if position + 1 < len(self.queue) else None,
        }
        page = {
            "index": item.index,
            "key": item.key,
            "version": review.version,
            "token": self.token,
            "status": review.status,
            "fields": list(REASONING_FIELDS),
            "texts": view.pop("texts"),
            "prev": links["prev"],
            "next": links["next"],
        }
        html = self.env.get_template("review_episode.html").render(
            episode=view,
            links=links,
            total=len(self.queue),
            position=position + 1,
            review=review,
            page=page,
            reviewer=self.reviewer,
            version=__version__,
        )
        return HTMLResponse(html)

    async def change(self, request: Request):
        """Append one change; answer the line written, its conflict if any, and the new version."""
        item = self._item(request)
        if item is None:
            return JSONResponse({"error": "no such episode"}, status_code=404)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        if not isinstance(body, dict) or not isinstance(body.get("version"), int):
            return JSONResponse({"error": "a change needs the version it was made on"}, 400)
        protected = ("time", "reviewer", "episode", "config_hash", "conflict")
        change = {k: v for k, v in body.items() if k not in protected}
        change.update(reviewer=self.reviewer, episode=item.key, config_hash=self.config_hash)
        try:
            check_line(change)
            self._check_steps(change, item.quality.n_steps)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        line = append(self.out, change)
        version = self.corrections().review(item.key).version
        return JSONResponse({"line": line, "conflict": line.get("conflict"), "version": version})

    @staticmethod
    def _check_steps(change: dict[str, Any], n_steps: int) -> None:
        """Steps outside the episode are refused here, before the line is written."""
        if "steps" in change:
            steps = change["steps"]
            if steps[0] > steps[1]:
                raise ValueError("the first step comes after the last")
        elif "subtask_start" in change:
            steps = [change["subtask_start"]]
        elif "box" in change:
            steps = [change["box"]["step"]]
        else:
            return
        if any(not 0 <= s < n_steps for s in steps):
            raise ValueError(f"steps must lie in 0-{n_steps - 1}")


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
    return Starlette(routes=routes, middleware=[Middleware(TokenGate, token=token)])


def new_token() -> str:
    return secrets.token_urlsafe(24)
