"""Open-vocabulary detectors, chosen by name: each backend is one module that registers itself."""

from ecot_annotate.backends.detectors import grounding_dino, owlv2
from ecot_annotate.backends.detectors.base import DETECTORS, build_detector, detector_class

__all__ = ["DETECTORS", "build_detector", "detector_class", "grounding_dino", "owlv2"]
