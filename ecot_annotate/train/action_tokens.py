"""Actions <-> tokens, as OpenVLA does it, with the statistics saved beside the checkpoint.

Each dimension is normalised to [-1, 1] with the dataset's 1st/99th percentiles by OpenVLA's own
formula, `2 * (x - q01) / (q99 - q01 + 1e-8) - 1` (a mask leaves the gripper as it is), clipped, and discretised into 256 uniform bins (`np.digitize` against 256 edges
from -1 to 1, giving bins 1..256). Scheme `openvla` writes bin b as id `vocab_size - b`, the tail
of the base vocabulary, bit-compatible with OpenVLA's ActionTokenizer; scheme `added` writes it as
one of 256 tokens added to the vocabulary. Decoding maps a token to the centre of its bin (OpenVLA's
255 centres between the edges, the top bin clipped to the last centre) and de-normalises.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

N_BINS = 256
SCHEMES = ("openvla", "added")
EDGES = np.linspace(-1.0, 1.0, N_BINS)
CENTRES = (EDGES[:-1] + EDGES[1:]) / 2.0


def added_token_names() -> list[str]:
    return [f"<ACTION_{b}>" for b in range(N_BINS)]


@dataclass
class ActionStats:
    """Per-dimension 1st/99th percentiles; `normalize[i]` False leaves dimension i as it is."""

    q01: list[float]
    q99: list[float]
    normalize: list[bool]

    @classmethod
    def from_actions(cls, actions: np.ndarray) -> ActionStats:
        """Percentiles over all steps; the last dimension (the gripper in Bridge/OXE) is not normalised."""
        actions = np.asarray(actions, dtype=np.float64)
        mask = [True] * actions.shape[1]
        mask[-1] = False
        q01, q99 = np.percentile(actions, [1, 99], axis=0)
        return cls(q01=q01.tolist(), q99=q99.tolist(), normalize=mask)

    @property
    def dim(self) -> int:
        return len(self.q01)

    def to_dict(self) -> dict:
        return asdict(self)

    def normalise(self, actions: np.ndarray) -> np.ndarray:
        q01, q99, mask = np.asarray(self.q01), np.asarray(self.q99), np.asarray(self.normalize)
        scaled = 2.0 * (np.asarray(actions, dtype=np.float64) - q01) / (q99 - q01 + 1e-8) - 1.0
        return np.clip(np.where(mask, scaled, actions), -1.0, 1.0)

    def denormalise(self, normalised: np.ndarray) -> np.ndarray:
        q01, q99, mask = np.asarray(self.q01), np.asarray(self.q99), np.asarray(self.normalize)
        return np.where(mask, (np.asarray(normalised) + 1.0) * (q99 - q01) / 2.0 + q01, normalised)


class ActionTokenizer:
    """Token ids for actions under one scheme; `token_ids[b - 1]` is the id of bin b."""

    def __init__(self, scheme: str, stats: ActionStats, token_ids: list[int]):
        if scheme not in SCHEMES:
            raise ValueError(f"unknown action scheme {scheme!r}; choose from {SCHEMES}")
        self.scheme, self.stats = scheme, stats
        self.token_ids = np.asarray(token_ids, dtype=np.int64)
        self._bin_of = {int(t): b + 1 for b, t in enumerate(self.token_ids)}

    @classmethod
    def for_tokenizer(cls, scheme: str, stats: ActionStats, tokenizer) -> ActionTokenizer:
        """OpenVLA: bin b -> `tokenizer.vocab_size - b`. Added: the ids of `<ACTION_0..255>`."""
        if scheme == "openvla":
            return cls(scheme, stats, [tokenizer.vocab_size - b for b in range(1, N_BINS + 1)])
        return cls(scheme, stats, tokenizer.convert_tokens_to_ids(added_token_names()))

    def bins(self, actions: np.ndarray) -> np.ndarray:
        return np.digitize(self.stats.normalise(actions), EDGES)

    def encode(self, actions: np.ndarray) -> np.ndarray:
        """(..., D) actions -> (..., D) token ids."""
        return self.token_ids[self.bins(actions) - 1]

    def decode(self, ids: np.ndarray) -> np.ndarray:
        """(..., D) token ids -> (..., D) de-normalised actions (bin centres)."""
        ids = np.asarray(ids, dtype=np.int64)
        unknown = sorted({int(t) for t in ids.reshape(-1)} - self._bin_of.keys())
        if unknown:
            raise ValueError(f"ids {unknown[:5]} are not action tokens of the {self.scheme} scheme")
        bins = np.array([self._bin_of[int(t)] for t in ids.reshape(-1)], dtype=np.int64).reshape(
            ids.shape
        )
        centres = CENTRES[np.clip(bins - 1, 0, len(CENTRES) - 1)]
        return self.stats.denormalise(centres)
