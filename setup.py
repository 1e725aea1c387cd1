"""Metadata lives in setup.cfg. This file ships schemas/ and prompts/ inside the package (as
ecot_annotate/_data/...) so installed copies and Beam's ``--setup_file ./setup.py`` workers find
them, while the source tree keeps them at the top level."""

from setuptools import find_packages, setup

DATA = {"ecot_annotate._data.schemas": "schemas", "ecot_annotate._data.prompts": "prompts"}

setup(
    packages=find_packages(include=["ecot_annotate", "ecot_annotate.*", "pipelines", "pipelines.*"])
    + list(DATA),
    package_dir=DATA,
    package_data={
        "ecot_annotate.profiles": ["*.toml"],
        "ecot_annotate.inspect": ["templates/*"],
        **{name: ["*.json", "*.txt"] for name in DATA},
    },
)
