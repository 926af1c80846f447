"""Centra's documented schema, vendored: the contract for everything the client sends.

``centra-schema.graphql`` is the subset of Centra's Integration API reconstructed from its
public pages, each type with its source; ``centra-schema-notes.md`` says which types are
verified, inferred or unverified and how they were read. Both are kept exactly as they were
reconstructed (correct them only with a source, and say so in the notes). Three things are
built on them:

- a test validates every document the client sends against this schema, so a name the
  client guesses and Centra does not have fails in CI, not on a brand's first run;
- the sandbox twin serves this schema, plus only the extensions listed in
  ``docs/connector-centra.md``, so the twin cannot quietly share the client's guesses;
- ``manage.py check_apis`` compares the live schema (introspection) with this one.
"""

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from graphql import GraphQLError, GraphQLSchema, build_schema, parse, validate

SDL_PATH = Path(__file__).with_name("centra-schema.graphql")
NOTES_PATH = Path(__file__).with_name("centra-schema-notes.md")


def documented_sdl() -> str:
    return SDL_PATH.read_text(encoding="utf-8")


@cache
def documented_schema() -> GraphQLSchema:
    """The vendored schema, built once (treat it as read-only: it is shared)."""
    return build_schema(documented_sdl())


def document_problems(schema: GraphQLSchema, documents: Mapping[str, str]) -> list[str]:
    """``"NAME: message"`` for every validation error of every document; [] when all pass."""
    problems = []
    for name, text in documents.items():
        try:
            errors = validate(schema, parse(text))
        except GraphQLError as error:
            errors = [error]
        problems += [f"{name}: {error.message}" for error in errors]
    return problems
