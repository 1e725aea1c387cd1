"""Model backends behind small interfaces, chosen by name: detectors, the segmenter, captioners.

Each loads a transformers model by hub id or local folder; `weights.check_model` runs before any
work so that a missing model stops the run with one clear message.
"""
