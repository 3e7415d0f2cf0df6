"""Helpers for the page tests: sign in as a persona, read a response's HTML."""

from __future__ import annotations


def sign_in(client, request, persona: str):
    """Sign client in as the persona fixture named (nobody for "anonymous"); the user or None."""
    if persona == "anonymous":
        return None
    user = request.getfixturevalue(persona)
    client.force_login(user)
    return user


def html_of(response) -> str:
    return response.content.decode()
