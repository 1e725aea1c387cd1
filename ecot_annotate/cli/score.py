"""`ecot-annotate score OUT`: label quality against the dataset's ground truth or human labels."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ecot_annotate.cli.group import main


def score_lines(figures: dict) -> list[str]:
    """The figures as terminal lines, one per figure."""
    lines = [f"scored {figures['episodes']} episodes against {figures['against']}"]
    review = figures.get("review")
    if review:
        share = review["accepted_unchanged_share"]
        lines.append(
            f"review: {review['reviewed']} reviewed, {review['accepted']} accepted unchanged, "
            f"{review['corrected']} corrected, {review['rejected']} rejected"
            + (f"; accepted unchanged {share}" if share is not None else "")
        )
    chosen = figures.get("boundary_tolerance_s")
    at = dict(figures.get("boundaries_at") or {})
    if figures.get("boundaries"):
        at.setdefault(f"{chosen:g}", figures["boundaries"])
    for seconds, b in sorted(at.items(), key=lambda item: float(item[0])):
        steps = float(seconds) * figures["control_hz"]
        lines.append(
            f"subtask boundaries (+-{seconds} s, {steps:g} steps at {figures['control_hz']:g} Hz)  "
            f"precision {b['precision']}  recall {b['recall']}  F1 {b['f1']}  "
            f"({b['matched']} of {b['true']} true, {b['predicted']} predicted)"
        )
    p = figures.get("primitives")
    if p:
        lines.append(f"primitive accuracy  {p['accuracy']}  over {p['steps']} steps")
        lines.append("  confusion (true kind -> predicted kinds):")
        for want, got in p["confusion"].items():
            lines.append(f"    {want:<7} " + ", ".join(f"{k} {n}" for k, n in got.items()))
    for arm, a in (figures.get("arms") or {}).items():
        parts = [f"arm {arm:<6}"]
        if "primitive_accuracy" in a:
            parts.append(f"primitive accuracy {a['primitive_accuracy']}")
        if "boundaries" in a:
            parts.append(f"boundary F1 {a['boundaries']['f1']}")
        lines.append("  ".join(parts))
    g = figures.get("gripper_px")
    if g:
        lines.append(
            f"gripper pixel error  median {g['median']}  p90 {g['p90']}  ({g['steps']} steps)"
        )
    for name, box in (figures.get("boxes") or {}).items():
        lines.append(f"boxes: {name:<16} mean IoU {box['mean_iou']}  recall@0.5 {box['recall']}")
    t = figures.get("tracks")
    if t:
        lines.append(
            f"track ids constant  {t['id_constancy']} of visible object steps "
            f"({t['same_id']} of {t['visible']})"
        )
    if figures.get("plan_motion_agreement") is not None:
        lines.append(f"plan/motion agreement  {figures['plan_motion_agreement']} of steps")
    texts = figures.get("text_checks")
    if texts and texts["fields"]:
        passing = texts["fields"] - texts["failing"]
        lines.append(
            f"texts passing the text checks  {passing} of {texts['fields']} "
            f"({100 * passing / texts['fields']:.0f}%)"
        )
    return lines


@main.command()
@click.argument("out")
@click.option("--labels", type=click.Path(exists=True), default=None, help="Human labels: JSONL of {\"episode\": KEY, \"step\": N, \"subtask\": TEXT}, one per segment start; or a review folder (OUT/review), whose accepted and corrected episodes are the truth the machine's first pass is scored against.")  # fmt: skip
@click.option("--tolerance-s", type=float, default=0.5, show_default=True, help="A predicted subtask boundary within this many seconds of a true one matches it (each true boundary once, an optimal matching). Figures at +-0.5 s and +-1 s are always printed too.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def score(out: str, labels: str | None, tolerance_s: float, as_json: bool) -> None:
    """Score a run's labels (subtask boundaries, primitives, gripper, boxes, tracks) and store the
    figures in OUT/summary.json."""
    from ecot_annotate.inspect.score_run import score_run
    from ecot_annotate.store.manifest import atomic_write

    figures = score_run(out, labels, tolerance_s)
    summary_path = Path(out) / "summary.json"
    if summary_path.is_file():
        summary = json.loads(summary_path.read_text())
        summary["score_labels" if labels else "score"] = figures
        atomic_write(str(summary_path), json.dumps(summary, indent=2, sort_keys=True).encode())
    click.echo(json.dumps(figures, indent=2) if as_json else "\n".join(score_lines(figures)))
