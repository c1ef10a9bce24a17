"""Gatehouse's Python client: jobs, model-alias calls (whole or streamed),
structured output, credits and usage, over ``httpx``.

::

    from gatehouse import AsyncGatehouse

    async with AsyncGatehouse(base_url="http://localhost:8003", api_key="gh-sk-…") as client:
        job = await client.create_job("summarize")
        response = await client.chat(job_id=job.job_id, model="gpt-4", messages=[{"role": "user", "content": "Hi"}])
        await client.complete_job(job.job_id)

:class:`Gatehouse` is the same client without ``await``; ``gatehouse.admin``
is the management API for operators' scripts.
"""

from . import errors, types
from ._client import AsyncGatehouse, AsyncJobSession, Gatehouse, JobSession
from ._stream import AsyncChatStream, ChatStream
from ._version import __version__
from .errors import *  # noqa: F401,F403 - every error class, listed in errors.__all__
from .types import *  # noqa: F401,F403 - every result type, listed in types.__all__

__all__ = ["__version__", "AsyncGatehouse", "Gatehouse", "AsyncJobSession", "JobSession", "AsyncChatStream", "ChatStream"]
__all__ += errors.__all__
__all__ += types.__all__
