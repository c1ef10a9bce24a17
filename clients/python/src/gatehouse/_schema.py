"""Structured output: a JSON schema (a dict) or a Pydantic model class turned
into a ``response_format``, and the answer decoded back.

Pydantic is optional (``pip install "gatehouse[pydantic]"``): a model class
is recognised by its methods, so this module never imports Pydantic, and
both Pydantic 1 (``schema``/``parse_obj``) and 2
(``model_json_schema``/``model_validate``) work.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, Optional, cast

from .errors import StructuredOutputError
from .types import ChatResponse

_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def _pydantic(schema: Any) -> Optional[Callable[[Any], Any]]:
    """The validator of a Pydantic model class, or None for anything else."""
    if not isinstance(schema, type):
        return None
    for make_schema, validate in (("model_json_schema", "model_validate"), ("schema", "parse_obj")):  # Pydantic 2, then 1
        fn = getattr(schema, validate, None)
        if callable(getattr(schema, make_schema, None)) and callable(fn):
            return cast(Callable[[Any], Any], fn)
    return None


class Shape:
    """What a structured call asks for and how its answer is read."""

    def __init__(self, name: str, json_schema: Dict[str, Any], strict: Optional[bool], validate: Optional[Callable[[Any], Any]]) -> None:
        self.name = name
        self.json_schema = json_schema
        self.strict = strict
        self.validate = validate

    @classmethod
    def of(cls, schema: Any, *, name: Optional[str] = None, strict: Optional[bool] = None) -> "Shape":
        """Reads ``schema``: a JSON schema dict, or a Pydantic model class.
        The name sent is ``name``, else the model's class name or the
        schema's ``title``, else ``"response"``."""
        validate = _pydantic(schema)
        if validate is not None:
            js = schema.model_json_schema() if hasattr(schema, "model_json_schema") else schema.schema()
            default_name = schema.__name__
        elif isinstance(schema, dict):
            js = schema
            default_name = str(schema.get("title") or "response")
        else:
            raise TypeError(
                f"schema must be a JSON schema (a dict) or a Pydantic model class, not {type(schema).__name__}"
                " (for a model class, install pydantic: pip install 'gatehouse[pydantic]')"
            )
        clean = _NAME.sub("_", name or default_name)[:64] or "response"
        return cls(clean, js, strict, validate)

    @property
    def response_format(self) -> Dict[str, Any]:
        """OpenAI's ``json_schema`` response format, which Gatehouse
        translates for every provider."""
        spec: Dict[str, Any] = {"name": self.name, "schema": self.json_schema}
        if self.strict is not None:
            spec["strict"] = self.strict
        return {"type": "json_schema", "json_schema": spec}

    def decode(self, resp: ChatResponse) -> Any:
        """The answer as a dict (JSON schema) or a model instance; a
        :class:`StructuredOutputError` holding the raw answer when it does
        not decode or validate."""
        try:
            value = json.loads(resp.content)
        except ValueError as exc:
            raise _unusable(resp, f"the structured answer (finish reason {resp.finish_reason!r}) is not JSON: {exc}") from exc
        if self.validate is None:
            return value
        try:
            return self.validate(value)
        except (ValueError, TypeError) as exc:  # pydantic.ValidationError is a ValueError
            raise _unusable(resp, f"the structured answer does not match {self.name}: {exc}") from exc


def _unusable(resp: ChatResponse, message: str) -> StructuredOutputError:
    return StructuredOutputError(message, content=resp.content, finish_reason=resp.finish_reason, response=resp)
