"""Every LLM backend, registered: import `LLM_BACKENDS` from here to choose one by name."""

from ecot_annotate.backends import llm_local, llm_server
from ecot_annotate.backends.llm_backend import LLM_BACKENDS, Completer, LLMBackend, answer_mode

__all__ = ["LLM_BACKENDS", "Completer", "LLMBackend", "answer_mode", "llm_local", "llm_server"]
