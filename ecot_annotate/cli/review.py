"""`ecot-annotate review OUT`: a local page to accept, reject and correct a run's episodes."""

from __future__ import annotations

import getpass

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

    token = new_token()
    app = make_app(out, reviewer or _user(), token)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"review of {out}: http://{shown}:{port}/?token={token}  (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
