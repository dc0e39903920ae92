"""Tests for the demo package."""
