"""Typical cases and grade publications in the admin."""
