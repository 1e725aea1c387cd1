"""`ecot-annotate review OUT`: a local page to accept, reject and correct a run's episodes."""

from __future__ import annotations

import errno
import getpass
import socket

import click

from ecot_annotate.cli.group import main
from ecot_annotate.errors import EcotError


def _user() -> str:
    """The login name, or "reviewer" where the system has none for this user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False))
@click.option("--reviewer", default=None, help="Name written with each change (default: the user name).")  # fmt: skip
@click.option("--port", type=int, default=8765, show_default=True, help="Port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; anything but loopback lets other machines reach the page (the token still guards it).")  # fmt: skip
def review(out: str, reviewer: str | None, port: int, host: str) -> None:
    """Serve the review page of run OUT: episodes most likely wrong first; accept, reject or correct
    them. Changes go to OUT/review/corrections.jsonl, which every other command reads."""
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise EcotError(
            "the review page needs starlette and uvicorn: pip install 'ecot-annotate[review]'"
        ) from exc
    from ecot_annotate.review.server import make_app, new_token

    listening = _bind(host, port)  # before the URL is printed: a busy port prints no token
    token = new_token()
    app = make_app(out, reviewer or _user(), token)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"review of {out}: http://{shown}:{port}/?token={token}  (Ctrl-C to stop)")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[listening])


def _bind(host: str, port: int) -> socket.socket:
    """A socket bound to host:port for uvicorn to serve on, or one line saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        if exc.errno == errno.EADDRINUSE:
            raise EcotError(f"port {port} on {host} is in use; pick another with --port") from None
        raise EcotError(f"cannot serve on {host}:{port} ({exc.strerror}); check --host and --port") from None  # fmt: skip
    return listening
