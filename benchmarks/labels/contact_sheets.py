"""Contact sheets for hand-labelling subtask boundaries (see NOTES.md and LABELLING.md).

    python -m benchmarks.labels.contact_sheets DATASET EPISODE OUT_DIR [--every N]
    python -m benchmarks.labels.contact_sheets DATASET EPISODE OUT_DIR --steps FIRST LAST

The first form writes an overview sheet (a tile every N steps, each stamped with its step in large
digits) and a plot of every state and action value against step; the second a close-up sheet of
every frame from FIRST to LAST. It reads a LeRobot v2.1 or v3.0 folder with pyarrow and PyAV
only, never the annotation: the sheets are for looking at the frames.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np

TILE = 200  # px wide; LABELLING.md asks for at least 160


def _info(root: Path) -> dict:
    return json.loads((root / "meta" / "info.json").read_text())


def _camera(info: dict) -> str:
    cameras = [k for k, f in info["features"].items() if f.get("dtype") == "video"]
    preferred = [c for c in cameras if any(w in c for w in ("high", "front", "top", "image"))]
    return (preferred or cameras)[0]


def episode_arrays(root: Path, episode: int) -> tuple[dict[str, np.ndarray], dict[str, list]]:
    """Every numeric column of the episode's rows (state, action ...), and the value names."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    info = _info(root)
    files = sorted((root / "data").rglob("*.parquet"))
    named = [f for f in files if f.stem == f"episode_{episode:06d}"]
    for path in named or files:
        table = pq.read_table(path)
        table = table.filter(pc.equal(table["episode_index"], episode))
        if table.num_rows:
            break
    table = table.sort_by("frame_index")
    arrays, names = {}, {}
    for key, feature in info["features"].items():
        if key in table.column_names and feature.get("dtype") in ("float32", "float64"):
            arrays[key] = np.asarray(table[key].to_pylist(), dtype=float).reshape(
                table.num_rows, -1
            )
            found = feature.get("names")
            while isinstance(found, list) and found and isinstance(found[0], list):
                found = found[0]
            names[key] = found if isinstance(found, list) else []
    return arrays, names


def _video(root: Path, info: dict, camera: str, episode: int) -> tuple[Path, float]:
    """The video file holding the episode and where in it the episode starts (seconds)."""
    if "{episode_index" in info["video_path"]:
        chunk = episode // info.get("chunks_size", 1000)
        path = info["video_path"].format(
            episode_chunk=chunk, video_key=camera, episode_index=episode
        )
        return root / path, 0.0
    import pyarrow.parquet as pq

    rows = pq.read_table(next((root / "meta" / "episodes").rglob("*.parquet"))).to_pylist()
    row = next(r for r in rows if r["episode_index"] == episode)
    path = info["video_path"].format(
        video_key=camera,
        chunk_index=row[f"videos/{camera}/chunk_index"],
        file_index=row[f"videos/{camera}/file_index"],
    )
    return root / path, float(row[f"videos/{camera}/from_timestamp"])


def frames(root: Path, episode: int, steps: list[int]) -> dict[int, np.ndarray]:
    """The camera frame at each step (by timestamp: step / fps after the episode's start)."""
    import av

    info = _info(root)
    path, start = _video(root, info, _camera(info), episode)
    fps = float(info["fps"])
    wanted = sorted(set(steps))
    out: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        pending = list(wanted)
        for frame in container.decode(stream):
            t = float(frame.pts * stream.time_base) - start
            while pending and t >= pending[0] / fps - 0.5 / fps:
                out[pending.pop(0)] = frame.to_ndarray(format="rgb24")
            if not pending:
                break
    return out


def _tile(image: np.ndarray, step: int, width: int, crop: tuple | None = None):
    from PIL import Image, ImageDraw, ImageFont

    tile = Image.fromarray(image)
    if crop:
        w, h = tile.size
        tile = tile.crop((crop[0] * w, crop[1] * h, crop[2] * w, crop[3] * h))
    tile = tile.resize((width, round(width * tile.height / tile.width)))
    draw = ImageDraw.Draw(tile)
    font = ImageFont.load_default(size=28)
    draw.rectangle([0, 0, 70, 32], fill=(0, 0, 0))
    draw.text((4, 0), str(step), fill=(255, 255, 0), font=font)
    return tile


def sheet(
    root: Path,
    episode: int,
    steps: list[int],
    out: Path,
    columns: int = 8,
    width: int = TILE,
    crop: tuple | None = None,
) -> None:
    from PIL import Image

    images = frames(root, episode, steps)
    tiles = [_tile(images[s], s, width, crop) for s in steps if s in images]
    rows = -(-len(tiles) // columns)
    canvas = Image.new("RGB", (columns * width, rows * tiles[0].height), (40, 40, 40))
    for i, tile in enumerate(tiles):
        canvas.paste(tile, ((i % columns) * width, (i // columns) * tile.height))
    if out.suffix == ".jpg":
        canvas.save(out, quality=60)
    else:
        canvas.save(out)


HAND_WORDS = ("gripper", "hand", "finger", "pinky", "ring", "middle", "index", "thumb", "claw")


def _groups(arrays: dict, names: dict) -> list[tuple[str, np.ndarray, list[str], bool]]:
    """(title, values, labels, as_speed): the gripper / hand values of each feature as they are,
    the other values as one speed curve per arm prefix (left / right / arm1 ...)."""
    out = []
    for key, values in arrays.items():
        labels = names[key] or [str(j) for j in range(values.shape[1])]
        hand = [j for j, n in enumerate(labels) if any(w in n.lower() for w in HAND_WORDS)]
        if hand:
            out.append(
                (f"{key}: gripper / hand values", values[:, hand], [labels[j] for j in hand], False)
            )
        rest = [j for j in range(values.shape[1]) if j not in hand]
        arms: dict[str, list[int]] = {}
        for j in rest:
            found = re.search(r"left|right|arm\d", labels[j].lower())
            arm = found.group(0) if found else "arm"
            arms.setdefault(arm, []).append(j)
        for arm, columns in arms.items():
            out.append((f"{key}: {arm} joint speed", values[:, columns], [arm], True))
    return out


def plot(root: Path, episode: int, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arrays, names = episode_arrays(root, episode)
    arrays.pop("timestamp", None)
    groups = _groups(arrays, names)
    fig, axes = plt.subplots(len(groups), 1, figsize=(16, 2.6 * len(groups)), squeeze=False)
    for ax, (title, values, labels, as_speed) in zip(axes[:, 0], groups, strict=True):
        if as_speed:
            span = np.ptp(values, axis=0)
            span[span == 0] = 1
            speed = np.linalg.norm(
                np.diff(values / span, axis=0, prepend=values[:1] / span), axis=1
            )
            ax.plot(speed, lw=1, label=labels[0])
        else:
            for j in range(values.shape[1]):
                ax.plot(values[:, j], lw=1, label=labels[j])
        ax.set_title(title)
        ax.set_xticks(range(0, len(values), 10), minor=True)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, ncol=6, loc="upper right")
    fig.tight_layout()
    fig.savefig(out, dpi=70)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("episode", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--steps", type=int, nargs=2)
    parser.add_argument("--stride", type=int, default=1, help="with --steps: every Nth frame")
    parser.add_argument("--crop", type=float, nargs=4, help="with --steps: x0 y0 x1 y1 (0..1)")
    parser.add_argument("--jpeg", action="store_true", help="a small JPEG overview (160 px tiles)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    n = len(next(iter(episode_arrays(args.dataset, args.episode)[0].values())))
    if args.steps:
        first, last = args.steps
        steps = list(range(max(0, first), min(n, last + 1), args.stride))
        name = args.out / f"ep{args.episode}_{first}-{last}.png"
        sheet(args.dataset, args.episode, steps, name, columns=5, width=320, crop=args.crop)
        return
    steps = list(range(0, n, args.every))
    if args.jpeg:
        name = args.out / f"{args.dataset.name}_ep{args.episode}.jpg"
        sheet(args.dataset, args.episode, steps, name, columns=6, width=160)
        return
    sheet(args.dataset, args.episode, steps, args.out / f"ep{args.episode}_overview.png")
    plot(args.dataset, args.episode, args.out / f"ep{args.episode}_signals.png")


if __name__ == "__main__":
    main()
