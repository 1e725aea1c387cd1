"""Teacher-forced action-token accuracy, overall and on the first action token of each sample.

The first token is the honest figure: later action tokens can often be copied from earlier ones
(Bridge's rotation and gripper dims repeat), so overall accuracy flatters a policy."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class ActionHits:
    hits: int = 0
    total: int = 0
    first_hits: int = 0
    first_total: int = 0

    def add(self, other: ActionHits) -> None:
        self.hits += other.hits
        self.total += other.total
        self.first_hits += other.first_hits
        self.first_total += other.first_total

    @property
    def accuracy(self) -> float:
        return self.hits / self.total if self.total else 0.0

    @property
    def first_accuracy(self) -> float:
        return self.first_hits / self.first_total if self.first_total else 0.0


@torch.no_grad()
def action_hits(logits: torch.Tensor, labels: torch.Tensor, action_ids: torch.Tensor) -> ActionHits:
    """Argmax over the whole vocabulary at every answer position whose target is an action token."""
    predicted = logits[:, :-1].argmax(-1)
    target = labels[:, 1:]
    is_action = torch.isin(target, action_ids.to(target.device))
    correct = (predicted == target) & is_action
    rows = is_action.any(dim=1)
    first = is_action.int().argmax(dim=1)  # index of the first action position per row
    first_correct = correct.gather(1, first[:, None]).squeeze(1) & rows
    return ActionHits(
        int(correct.sum()), int(is_action.sum()), int(first_correct.sum()), int(rows.sum())
    )
