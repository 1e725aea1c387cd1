"""Whether this run may use the Hugging Face hub, decided once, before any model is looked up.

Left to itself the hub client retries an unreachable server for minutes and logs every retry.
Instead the command asks the hub once, with a short timeout, when it is about to need a model
that is named by hub id; if there is no answer the rest of the run (its worker processes included)
works offline from the local cache, and the user is told so once. HF_HUB_OFFLINE set by the user
is respected and skips the check.
"""

from __future__ import annotations

import os
import shutil
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable

DEFAULT_ENDPOINT = "https://huggingface.co"
TIMEOUT_S = 3.0
_TRUE = ("1", "true", "yes", "on")
_state: dict[str, bool] = {}


def offline_requested() -> bool:
    """The user (or an earlier check) switched downloads off."""
    return any(
        os.environ.get(v, "").lower() in _TRUE for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")


def reachable(url: str, timeout_s: float = TIMEOUT_S) -> bool:
    """Any HTTP answer counts (even an error status): the server is there."""
    try:
        urllib.request.urlopen(
            urllib.request.Request(url, method="HEAD"), timeout=timeout_s
        ).close()
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False
    return True


def is_hub_id(model: str) -> bool:
    """Hub ids are 'name' or 'org/name' and not an existing folder; anything else is a path."""
    if os.path.isdir(os.path.expanduser(model)):
        return False
    return not model.startswith(("/", ".", "~")) and model.count("/") <= 1


def go_offline() -> None:
    """Offline for this process and every process it starts, including an already imported hub client."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    if "huggingface_hub" in sys.modules:
        from huggingface_hub import constants

        constants.HF_HUB_OFFLINE = True


def settle(models: Iterable[str | None]) -> str | None:
    """Check the hub once if any of `models` is a hub id; return the one note to show, if any."""
    hub_ids = [m for m in models if m and is_hub_id(m)]
    if not hub_ids or offline_requested() or "checked" in _state:
        return None
    _state["checked"] = True
    if reachable(endpoint()):
        return None
    _state["unreachable"] = True
    go_offline()
    return (
        f"the Hugging Face hub ({endpoint()}) cannot be reached from this machine: working offline, "
        "from the local cache only (set HF_HUB_OFFLINE=1 to skip this check)"
    )


def unreachable() -> bool:
    """This run found the hub unreachable and went offline."""
    return _state.get("unreachable", False)


def download_command(model: str) -> str:
    """The command, installed here, that fetches `model` into the hub cache."""
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    if shutil.which("hf", path=path) or not shutil.which("huggingface-cli", path=path):
        return f"hf download {model}"
    return f"huggingface-cli download {model}"


def why_not_downloaded(exc: BaseException) -> str:
    """One phrase for a failed hub lookup: offline by choice, unreachable, or the error's name."""
    if unreachable():
        return "the hub cannot be reached from this machine"
    if offline_requested():
        return "downloads are off (HF_HUB_OFFLINE=1)"
    return f"it could not be downloaded ({type(exc).__name__})"
