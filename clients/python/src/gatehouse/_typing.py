"""Helpers for type checkers only (nothing here runs).

The blocking and asyncio classes share one implementation of each method:
it sends its request through ``self._run``, which returns the result in the
blocking class and an awaitable of it in the asyncio one. These helpers let
the asyncio classes declare that, method by method, without writing the
signatures again: ``chat = awaitable(_TeamMethods.chat)`` has ``chat``'s
parameters and returns ``Awaitable[ChatResponse]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable, Type, TypeVar

R = TypeVar("R")

if TYPE_CHECKING:
    from typing_extensions import Concatenate, ParamSpec

    P = ParamSpec("P")

    def awaitable(method: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], Awaitable[R]]:
        """``method``'s parameters, with an awaitable of its result."""

    def returning(method: Callable[Concatenate[Any, P], Any], result: Type[R]) -> Callable[Concatenate[Any, P], R]:
        """``method``'s parameters, returning ``result`` instead."""
