"""Tests of the desktop user interface."""
