"""Kept so that Beam's ``--setup_file ./setup.py`` can ship the package to cluster workers."""

from setuptools import setup

setup()
