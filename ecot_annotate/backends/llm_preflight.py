"""Check the LLM server before any work: one 1-token chat request, one line on failure.

A run that cannot reach its server, names a model the server does not serve, or sends a key it
refuses would otherwise spend every episode's retries and fall back to the rules. Connecting
gets a few seconds; the answer gets the run's own timeout, since a server may load the model on
its first request. A failed preflight is a `PreflightFailed`, so a run whose answers are all
cached can go on without the server.
"""

from __future__ import annotations

import openai
from openai.types.chat import ChatCompletion

from ecot_annotate.backends.llm_client import api_key
from ecot_annotate.config import LLMConfig
from ecot_annotate.errors import EcotError

CONNECT_TIMEOUT_S = 5.0
PING = [{"role": "user", "content": "Answer with the word OK."}]


class PreflightFailed(EcotError):
    """The server did not answer the preflight request as a chat server should."""


def preflight(config: LLMConfig) -> None:
    """Raise EcotError (one line) unless the server answers a chat request for the model."""
    key = api_key(config)
    where = config.base_url or "OpenAI's API"
    client = openai.OpenAI(
        api_key=key,
        base_url=config.base_url,
        timeout=openai.Timeout(config.timeout_s, connect=min(CONNECT_TIMEOUT_S, config.timeout_s)),
        max_retries=0,
    )

    def redact(text: str) -> str:
        return text.replace(key, "***") if len(key) >= 4 else text

    try:
        answer = client.chat.completions.create(
            model=str(config.model), messages=PING, max_tokens=1
        )
    except ValueError:  # HTTP 200 with a body that is not JSON: a proxy's error page, say
        raise PreflightFailed(
            f"LLM preflight: the server at {where} answered with a body that is not JSON"
        ) from None
    except openai.APITimeoutError:
        raise PreflightFailed(
            f"LLM preflight: the server at {where} did not answer within {config.timeout_s:g}s"
        ) from None
    except openai.APIConnectionError as exc:
        cause = exc.__cause__ or exc
        raise PreflightFailed(
            f"LLM preflight: cannot reach the server at {where} ({redact(str(cause))[:200]})"
        ) from None
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        raise PreflightFailed(
            f"LLM preflight: the server at {where} refused the key in ${config.api_key_env} "
            f"(HTTP {exc.status_code}: {redact(exc.message)[:200]})"
        ) from None
    except openai.NotFoundError as exc:
        raise PreflightFailed(
            f"LLM preflight: the server at {where} does not serve the model '{config.model}' "
            f"(HTTP 404: {redact(exc.message)[:200]})"
        ) from None
    except (openai.BadRequestError, openai.UnprocessableEntityError):
        return  # the server, key and model answered; it only disliked the 1-token request
    except openai.APIStatusError as exc:
        raise PreflightFailed(
            f"LLM preflight: the server at {where} answered HTTP {exc.status_code}: "
            f"{redact(exc.message)[:200]}"
        ) from None
    if not isinstance(answer, ChatCompletion):
        raise PreflightFailed(
            f"LLM preflight: the server at {where} answered with something that is not a chat "
            "completion (a proxy's error page?)"
        )
