"""Reads behind the curation panel."""
