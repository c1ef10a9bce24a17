# mypy: disable-error-code="no-any-return"
# (Results are the server's JSON objects, typed as TypedDicts rather than
# validated: each method's annotation is its documented shape.)
"""The management API, for operators' scripts: model aliases, access groups,
organizations, teams, virtual keys, credits and provider credentials.

::

    from gatehouse.admin import Admin

    with Admin(api_key=os.environ["GATEHOUSE_MASTER_KEY"]) as admin:
        admin.create_alias("gpt-4", "openai/gpt-4", description="GPT-4 for complex tasks")
        admin.create_group("starter-models", ["gpt-4"])
        admin.create_organization("org_newclient", "New Client Inc")
        team = admin.create_team("org_newclient", "newclient-prod", access_groups=["starter-models"], credits_allocated=1000)
        print(team["virtual_key"])   # shown this once

``api_key`` is the master key or an admin user's session token
(``gh-sess-…``); it defaults to ``GATEHOUSE_MASTER_KEY``. Resources come
back as the server's JSON objects (typed as TypedDicts; money and other
non-integer numbers as :class:`~decimal.Decimal`); a team's balance,
ledger and usage come back as the same dataclasses the team client
returns. :class:`AsyncAdmin` has the same methods, each returning an
awaitable.

Retries follow the client's rule: reads, updates that set a state
(``PUT``, enable/disable, suspend/resume, access-group membership, rates)
and deletes are retried on network errors, 429 and 5xx; creations, key
rotation and credit movements only when the server certainly did nothing
(429, 503, or the request never left), so no credits are ever added twice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Awaitable, Dict, Iterable, List, Mapping, Optional, TypedDict, TypeVar, Union
from urllib.parse import quote

from ._ops import Op, TimeArg, _compact, _page, _path_id, _time
from ._ops import balance as _balance
from ._ops import transactions as _transactions
from ._ops import usage as _usage
from ._transport import AsyncTransport, Connected, Request, SyncTransport, query
from .types import Balance, Page, TeamUsage, Transaction

__all__ = [
    "Admin",
    "AsyncAdmin",
    "Alias",
    "AccessGroup",
    "Organization",
    "Team",
    "TeamCreated",
    "Key",
    "NewKey",
    "Credential",
    "RateLimits",
    "Pricing",
]

T = TypeVar("T")
Amount = Union[int, Decimal, str]


def _amount(value: Optional[Amount]) -> Optional[Union[int, Decimal]]:
    """An amount as Gatehouse reads it, a JSON number: a decimal string
    ("12.5") becomes the exact Decimal, sent as a number."""
    return Decimal(value) if isinstance(value, str) else value

if TYPE_CHECKING:
    from ._typing import awaitable

#: The environment variable Admin reads when api_key is left out.
ENV_MASTER_KEY = "GATEHOUSE_MASTER_KEY"


class Pricing(TypedDict, total=False):
    """USD per 1M tokens, as exact decimal strings (``"2.50"``)."""

    input_per_million: str
    output_per_million: str


class Alias(TypedDict, total=False):
    """A model alias: the name clients call and the provider model behind it."""

    alias: str
    litellm_model: str
    description: str
    active: bool
    pricing: Pricing
    fallbacks: List[str]
    metadata: Dict[str, Any]
    access_groups: List[str]
    created_at: str
    updated_at: str


class AccessGroup(TypedDict, total=False):
    """A model access group: the aliases a team granted it may call."""

    group_name: str
    description: str
    active: bool
    model_aliases: List[str]
    teams_using: List[str]
    created_at: str
    updated_at: str


class Organization(TypedDict, total=False):
    """A customer of the operator; it owns teams."""

    organization_id: str
    name: str
    status: str
    metadata: Dict[str, Any]
    created_at: str
    updated_at: str


class RateLimits(TypedDict, total=False):
    """Per-minute request and token limits and concurrent calls; 0 means
    unlimited."""

    requests_per_minute: int
    tokens_per_minute: int
    concurrent: int


class Team(TypedDict, total=False):
    """A team: its credits, budget mode, access groups and limits."""

    team_id: str
    organization_id: str
    team_alias: str
    status: str
    budget_mode: str
    credits_allocated: Union[int, Decimal]
    credits_balance: Union[int, Decimal]
    credits_held: Union[int, Decimal]
    credits_remaining: Union[int, Decimal]
    access_groups: List[str]
    allowed_model_aliases: List[str]
    rate_limits: RateLimits
    metadata: Dict[str, Any]
    created_at: str
    updated_at: str


class Key(TypedDict, total=False):
    """A virtual key as lists show it: never the secret, only its prefix."""

    key_id: str
    team_id: str
    name: str
    prefix: str
    rate_limits: RateLimits
    created_at: str
    last_used_at: Optional[str]
    expires_at: Optional[str]
    revoked_at: Optional[str]


class NewKey(Key, total=False):
    """A key just issued, with its secret, shown this once."""

    virtual_key: str
    message: str


class TeamCreated(Team, total=False):
    """A team just created, with its first key's secret, shown this once."""

    virtual_key: str
    key: Key
    message: str


class Credential(TypedDict, total=False):
    """A provider credential; the key is never shown, only its last four
    characters."""

    credential_id: str
    organization_id: str
    provider: str
    credential_name: str
    api_key_last4: str
    api_base: str
    extra: Dict[str, str]
    is_active: bool
    scope: str
    created_at: str
    updated_at: str


def _seg(value: str, name: str) -> str:
    return _path_id(name, value)


def _same(data: Any) -> Any:
    return data


def _op(method: str, path: str, body: Any = None, *, idempotent: bool, params: Optional[Dict[str, str]] = None) -> Op[Any]:
    return Op(Request(method, path, body=body, params=params, idempotent=idempotent), _same)


def _list(path: str, key: str, params: Mapping[str, Any]) -> Op[Page[Any]]:
    def parse(data: Any) -> Page[Any]:
        data = data if isinstance(data, dict) else {}
        return Page(items=list(data.get(key) or []), total=int(data.get("total") or 0), limit=int(data.get("limit") or 0), offset=int(data.get("offset") or 0))

    return Op(Request("GET", path, params=query(params), idempotent=True), parse)


class _AdminMethods:
    """The management API, written once: each method sends its request
    through ``self._run``, which blocks in :class:`Admin` and returns an
    awaitable in :class:`AsyncAdmin`."""

    def _run(self, op: Op[T]) -> T:  # pragma: no cover - overridden
        raise NotImplementedError

    # -- model aliases ----------------------------------------------------

    def create_alias(
        self,
        alias: str,
        litellm_model: str,
        *,
        description: Optional[str] = None,
        active: Optional[bool] = None,
        pricing: Optional[Pricing] = None,
        fallbacks: Optional[Iterable[str]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> Alias:
        """Creates a model alias (``litellm_model`` is ``provider/model``).
        A model without a catalogue price needs ``pricing``. An existing
        alias is :class:`~gatehouse.Conflict`: update it instead."""
        body = _compact(
            {
                "alias": alias,
                "litellm_model": litellm_model,
                "description": description,
                "active": active,
                "pricing": dict(pricing) if pricing is not None else None,
                "fallbacks": list(fallbacks) if fallbacks is not None else None,
                "metadata": dict(metadata) if metadata is not None else None,
            }
        )
        return self._run(_op("POST", "/api/model-aliases/create", body, idempotent=False))

    def list_aliases(
        self, *, provider: Optional[str] = None, active: Optional[bool] = None, limit: Optional[int] = None, offset: Optional[int] = None
    ) -> Page[Alias]:
        """One page of the model aliases."""
        return self._run(_list("/api/model-aliases", "aliases", {"provider": provider, "active": active, "limit": limit, "offset": offset}))

    def get_alias(self, alias: str) -> Alias:
        """An alias with its access groups and usage."""
        return self._run(_op("GET", f"/api/model-aliases/{_seg(alias, 'alias')}", idempotent=True))

    def update_alias(self, alias: str, /, **fields: Any) -> Alias:
        """Changes an alias's fields (``litellm_model``, ``description``,
        ``active``, ``pricing``, ``fallbacks``, ``metadata``); the others
        keep their values. Pointing ``litellm_model`` at another provider
        needs no client change."""
        return self._run(_op("PUT", f"/api/model-aliases/{_seg(alias, 'alias')}", _compact(fields), idempotent=True))

    def enable_alias(self, alias: str) -> Alias:
        """Makes a disabled alias callable again."""
        return self._run(_op("POST", f"/api/model-aliases/{_seg(alias, 'alias')}/enable", idempotent=True))

    def disable_alias(self, alias: str) -> Alias:
        """Refuses calls to an alias without deleting it."""
        return self._run(_op("POST", f"/api/model-aliases/{_seg(alias, 'alias')}/disable", idempotent=True))

    def delete_alias(self, alias: str) -> Dict[str, Any]:
        """Deletes an alias, removing it from every access group and from
        other aliases' fallbacks."""
        return self._run(_op("DELETE", f"/api/model-aliases/{_seg(alias, 'alias')}", idempotent=True))

    # -- access groups ----------------------------------------------------

    def create_group(self, group_name: str, model_aliases: Iterable[str] = (), *, description: Optional[str] = None) -> AccessGroup:
        """Creates a model access group holding ``model_aliases``."""
        body = _compact({"group_name": group_name, "description": description, "model_aliases": list(model_aliases)})
        return self._run(_op("POST", "/api/model-access-groups/create", body, idempotent=False))

    def list_groups(self, *, limit: Optional[int] = None, offset: Optional[int] = None) -> Page[AccessGroup]:
        """One page of the access groups."""
        return self._run(_list("/api/model-access-groups", "access_groups", {"limit": limit, "offset": offset}))

    def get_group(self, group_name: str) -> AccessGroup:
        """An access group with the teams that use it."""
        return self._run(_op("GET", f"/api/model-access-groups/{_seg(group_name, 'group_name')}", idempotent=True))

    def update_group(self, group_name: str, *, description: Optional[str] = None, active: Optional[bool] = None) -> AccessGroup:
        """Changes a group's description or active flag."""
        body = _compact({"description": description, "active": active})
        return self._run(_op("PUT", f"/api/model-access-groups/{_seg(group_name, 'group_name')}", body, idempotent=True))

    def add_models(self, group_name: str, model_aliases: Iterable[str]) -> AccessGroup:
        """Adds aliases to a group (those already in it stay once)."""
        path = f"/api/model-access-groups/{_seg(group_name, 'group_name')}/add-models"
        return self._run(_op("POST", path, {"model_aliases": list(model_aliases)}, idempotent=True))

    def remove_models(self, group_name: str, model_aliases: Iterable[str]) -> AccessGroup:
        """Removes aliases from a group."""
        path = f"/api/model-access-groups/{_seg(group_name, 'group_name')}/remove-models"
        return self._run(_op("POST", path, {"model_aliases": list(model_aliases)}, idempotent=True))

    def delete_group(self, group_name: str) -> Dict[str, Any]:
        """Deletes a group no team uses (one in use is a Conflict naming
        the teams)."""
        return self._run(_op("DELETE", f"/api/model-access-groups/{_seg(group_name, 'group_name')}", idempotent=True))

    # -- organizations ----------------------------------------------------

    def create_organization(self, organization_id: str, name: str, *, metadata: Optional[Mapping[str, Any]] = None) -> Organization:
        """Creates an organization (a customer of yours)."""
        body = _compact({"organization_id": organization_id, "name": name, "metadata": dict(metadata) if metadata is not None else None})
        return self._run(_op("POST", "/api/organizations/create", body, idempotent=False))

    def list_organizations(self, *, status: Optional[str] = None, limit: Optional[int] = None, offset: Optional[int] = None) -> Page[Organization]:
        """One page of the organizations."""
        return self._run(_list("/api/organizations", "organizations", {"status": status, "limit": limit, "offset": offset}))

    def get_organization(self, organization_id: str) -> Organization:
        """One organization."""
        return self._run(_op("GET", f"/api/organizations/{_seg(organization_id, 'organization_id')}", idempotent=True))

    def update_organization(self, organization_id: str, *, name: Optional[str] = None, metadata: Optional[Mapping[str, Any]] = None) -> Organization:
        """Changes an organization's name or metadata."""
        body = _compact({"name": name, "metadata": dict(metadata) if metadata is not None else None})
        return self._run(_op("PUT", f"/api/organizations/{_seg(organization_id, 'organization_id')}", body, idempotent=True))

    def suspend_organization(self, organization_id: str) -> Organization:
        """Suspends an organization: its teams' keys are refused (403)."""
        return self._run(_op("POST", f"/api/organizations/{_seg(organization_id, 'organization_id')}/suspend", idempotent=True))

    def activate_organization(self, organization_id: str) -> Organization:
        """Reactivates a suspended organization."""
        return self._run(_op("POST", f"/api/organizations/{_seg(organization_id, 'organization_id')}/activate", idempotent=True))

    def delete_organization(self, organization_id: str) -> Dict[str, Any]:
        """Deletes an organization without teams."""
        return self._run(_op("DELETE", f"/api/organizations/{_seg(organization_id, 'organization_id')}", idempotent=True))

    def organization_teams(self, organization_id: str, *, limit: Optional[int] = None, offset: Optional[int] = None) -> Page[Team]:
        """One page of an organization's teams."""
        path = f"/api/organizations/{_seg(organization_id, 'organization_id')}/teams"
        return self._run(_list(path, "teams", {"limit": limit, "offset": offset}))

    # -- teams and keys ---------------------------------------------------

    def create_team(
        self,
        organization_id: str,
        team_id: str,
        *,
        team_alias: Optional[str] = None,
        access_groups: Optional[Iterable[str]] = None,
        credits_allocated: Optional[Amount] = None,
        budget_mode: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        rate_limits: Optional[RateLimits] = None,
    ) -> TeamCreated:
        """Creates a team and its first virtual key; ``virtual_key`` in the
        answer is the secret, shown this once."""
        body = _compact(
            {
                "organization_id": organization_id,
                "team_id": team_id,
                "team_alias": team_alias,
                "access_groups": list(access_groups) if access_groups is not None else None,
                "credits_allocated": _amount(credits_allocated),
                "budget_mode": budget_mode,
                "metadata": dict(metadata) if metadata is not None else None,
                "rate_limits": dict(rate_limits) if rate_limits is not None else None,
            }
        )
        return self._run(_op("POST", "/api/teams/create", body, idempotent=False))

    def list_teams(
        self, *, organization_id: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None, offset: Optional[int] = None
    ) -> Page[Team]:
        """One page of the teams."""
        return self._run(_list("/api/teams", "teams", {"organization_id": organization_id, "status": status, "limit": limit, "offset": offset}))

    def get_team(self, team_id: str) -> Team:
        """A team with its access groups and the aliases it may call."""
        return self._run(_op("GET", f"/api/teams/{_seg(team_id, 'team_id')}", idempotent=True))

    def update_team(self, team_id: str, /, **fields: Any) -> Team:
        """Changes a team's ``team_alias``, ``budget_mode``, ``metadata``,
        ``access_groups`` or ``rate_limits``."""
        return self._run(_op("PUT", f"/api/teams/{_seg(team_id, 'team_id')}", _compact(fields), idempotent=True))

    def set_access_groups(self, team_id: str, access_groups: Iterable[str]) -> Team:
        """Replaces a team's access groups."""
        path = f"/api/teams/{_seg(team_id, 'team_id')}/access-groups"
        return self._run(_op("PUT", path, {"access_groups": list(access_groups)}, idempotent=True))

    def suspend_team(self, team_id: str) -> Team:
        """Suspends a team: its keys are refused (403)."""
        return self._run(_op("POST", f"/api/teams/{_seg(team_id, 'team_id')}/suspend", idempotent=True))

    def pause_team(self, team_id: str) -> Team:
        """Pauses a team: its keys are refused (403) until resumed."""
        return self._run(_op("POST", f"/api/teams/{_seg(team_id, 'team_id')}/pause", idempotent=True))

    def resume_team(self, team_id: str) -> Team:
        """Resumes a suspended or paused team."""
        return self._run(_op("POST", f"/api/teams/{_seg(team_id, 'team_id')}/resume", idempotent=True))

    def delete_team(self, team_id: str) -> Dict[str, Any]:
        """Deletes a team and its keys."""
        return self._run(_op("DELETE", f"/api/teams/{_seg(team_id, 'team_id')}", idempotent=True))

    def create_key(
        self, team_id: str, *, name: Optional[str] = None, expires_at: Optional[datetime] = None, rate_limits: Optional[RateLimits] = None
    ) -> NewKey:
        """Issues another virtual key for a team; ``virtual_key`` in the
        answer is the secret, shown this once."""
        body = _compact({"name": name, "expires_at": _time(expires_at), "rate_limits": dict(rate_limits) if rate_limits is not None else None})
        return self._run(_op("POST", f"/api/teams/{_seg(team_id, 'team_id')}/keys", body, idempotent=False))

    def list_keys(self, team_id: str, *, limit: Optional[int] = None, offset: Optional[int] = None) -> Page[Key]:
        """One page of a team's keys (never the secrets)."""
        return self._run(_list(f"/api/teams/{_seg(team_id, 'team_id')}/keys", "keys", {"limit": limit, "offset": offset}))

    def rotate_key(self, team_id: str, key_id: str, *, grace_period_seconds: Optional[int] = None) -> NewKey:
        """Issues a new key in place of ``key_id``; the old one works for
        ``grace_period_seconds`` (default 3600; 0 retires it at once)."""
        path = f"/api/teams/{_seg(team_id, 'team_id')}/keys/{_seg(key_id, 'key_id')}/rotate"
        return self._run(_op("POST", path, _compact({"grace_period_seconds": grace_period_seconds}), idempotent=False))

    def revoke_key(self, team_id: str, key_id: str) -> Key:
        """Stops a key at once."""
        path = f"/api/teams/{_seg(team_id, 'team_id')}/keys/{_seg(key_id, 'key_id')}/revoke"
        return self._run(_op("POST", path, idempotent=True))

    # -- credits ----------------------------------------------------------

    def _credits(self, team_id: str, action: str) -> str:
        return f"/api/credits/teams/{_seg(team_id, 'team_id')}/{action}"

    def add_credits(self, team_id: str, credits: Amount, *, reason: Optional[str] = None) -> Dict[str, Any]:
        """Adds credits to a team (an allocation in its ledger). Never
        retried once sent, so credits are never added twice."""
        body = _compact({"credits": _amount(credits), "reason": reason})
        return self._run(_op("POST", self._credits(team_id, "add"), body, idempotent=False))

    def replenish(
        self, team_id: str, credits: Amount, *, payment_type: str = "one_time", payment_amount_usd: Optional[Amount] = None, reason: Optional[str] = None
    ) -> Dict[str, Any]:
        """Records a payment (``subscription`` or ``one_time``) and the
        credits it bought."""
        body = _compact({"credits": _amount(credits), "payment_type": payment_type, "payment_amount_usd": payment_amount_usd, "reason": reason})
        return self._run(_op("POST", self._credits(team_id, "replenish"), body, idempotent=False))

    def adjust_credits(self, team_id: str, credits: Amount, *, reason: str) -> Dict[str, Any]:
        """Corrects a balance either way (signed ``credits``); the reason is
        required and held credits cannot be taken."""
        return self._run(_op("POST", self._credits(team_id, "adjust"), {"credits": _amount(credits), "reason": reason}, idempotent=False))

    def refund(self, team_id: str, job_id: str, *, reason: Optional[str] = None) -> Dict[str, Any]:
        """Refunds a completed job's charge (once)."""
        body = _compact({"job_id": job_id, "reason": reason})
        return self._run(_op("POST", self._credits(team_id, "refund"), body, idempotent=False))

    def conversion_rates(self, team_id: str) -> Dict[str, Any]:
        """A team's budget mode, conversion rates and markup."""
        return self._run(_op("GET", self._credits(team_id, "conversion-rates"), idempotent=True))

    def set_conversion_rates(
        self, team_id: str, *, credits_per_dollar: Optional[Amount] = None, tokens_per_credit: Optional[int] = None
    ) -> Dict[str, Any]:
        """Sets ``credits_per_dollar`` and/or ``tokens_per_credit``."""
        body = _compact({"credits_per_dollar": _amount(credits_per_dollar), "tokens_per_credit": tokens_per_credit})
        return self._run(_op("PATCH", self._credits(team_id, "conversion-rates"), body, idempotent=True))

    def set_budget_mode(
        self, team_id: str, budget_mode: str, *, credits_per_dollar: Optional[Amount] = None, tokens_per_credit: Optional[int] = None
    ) -> Dict[str, Any]:
        """Sets how a team pays: ``job_based``, ``consumption_usd`` or
        ``consumption_tokens`` (refused while it has open jobs)."""
        body = _compact({"budget_mode": budget_mode, "credits_per_dollar": _amount(credits_per_dollar), "tokens_per_credit": tokens_per_credit})
        return self._run(_op("PATCH", self._credits(team_id, "budget-mode"), body, idempotent=True))

    def set_markup(self, team_id: str, cost_markup_percentage: Amount) -> Dict[str, Any]:
        """Sets the client-cost markup, a percentage (``"12.5"``)."""
        body = {"cost_markup_percentage": _amount(cost_markup_percentage)}
        return self._run(_op("PATCH", self._credits(team_id, "markup"), body, idempotent=True))

    def configure_auto_refill(self, team_id: str, *, enabled: bool, refill_amount: Amount = 0, refill_period: str = "") -> Dict[str, Any]:
        """Configures a scheduled top-up (``daily``, ``weekly`` or
        ``monthly``)."""
        body = {"enabled": enabled, "refill_amount": _amount(refill_amount), "refill_period": refill_period}
        return self._run(_op("POST", self._credits(team_id, "configure-auto-refill"), body, idempotent=True))

    def balance(self, team_id: str) -> Balance:
        """A team's credits."""
        return self._run(_balance(team_id))

    def transactions(self, team_id: str, *, limit: Optional[int] = None, offset: Optional[int] = None) -> Page[Transaction]:
        """One page of a team's credit ledger, newest first."""
        return self._run(_transactions(team_id, limit, offset))

    def usage(self, team_id: str, period: Optional[str] = None, *, since: TimeArg = None, until: TimeArg = None) -> TeamUsage:
        """A team's usage for a month or a range."""
        return self._run(_usage(team_id, period, since, until))

    # -- provider credentials --------------------------------------------

    def create_credential(
        self,
        provider: str,
        *,
        api_key: Optional[str] = None,
        organization_id: Optional[str] = None,
        credential_name: Optional[str] = None,
        api_base: Optional[str] = None,
        extra: Optional[Mapping[str, str]] = None,
        is_active: Optional[bool] = None,
    ) -> Credential:
        """Stores a provider credential (encrypted at rest): an
        organization's, or without ``organization_id`` an operator-wide
        default."""
        body = _compact(
            {
                "provider": provider,
                "api_key": api_key,
                "organization_id": organization_id,
                "credential_name": credential_name,
                "api_base": api_base,
                "extra": dict(extra) if extra is not None else None,
                "is_active": is_active,
            }
        )
        return self._run(_op("POST", "/api/provider-credentials/create", body, idempotent=False))

    def list_credentials(
        self,
        *,
        organization_id: Optional[str] = None,
        provider: Optional[str] = None,
        scope: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> Page[Credential]:
        """One page of the provider credentials (keys never shown)."""
        params = {"organization_id": organization_id, "provider": provider, "scope": scope, "limit": limit, "offset": offset}
        return self._run(_list("/api/provider-credentials", "credentials", params))

    def get_credential(self, credential_id: str) -> Credential:
        """One provider credential (key never shown)."""
        return self._run(_op("GET", f"/api/provider-credentials/{_seg(credential_id, 'credential_id')}", idempotent=True))

    def update_credential(self, credential_id: str, /, **fields: Any) -> Credential:
        """Changes a credential's fields (``api_key``, ``api_base``,
        ``extra``, ``is_active``, ``credential_name``)."""
        path = f"/api/provider-credentials/{_seg(credential_id, 'credential_id')}"
        return self._run(_op("PUT", path, _compact(fields), idempotent=True))

    def delete_credential(self, credential_id: str) -> Dict[str, Any]:
        """Deletes a provider credential."""
        return self._run(_op("DELETE", f"/api/provider-credentials/{_seg(credential_id, 'credential_id')}", idempotent=True))

    def test_credential(self, credential_id: str) -> Dict[str, Any]:
        """Asks the provider whether it accepts the credential (a model
        listing, which costs no tokens): ``{"ok": …, "error": …}``."""
        path = f"/api/provider-credentials/{_seg(credential_id, 'credential_id')}/test"
        return self._run(_op("POST", path, idempotent=True))

    # -- other ------------------------------------------------------------

    def providers(self) -> Dict[str, Any]:
        """The supported providers and every model the catalogue prices."""
        return self._run(_op("GET", "/api/providers", idempotent=True))

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Optional[Mapping[str, Any]] = None,
        idempotent: Optional[bool] = None,
    ) -> Any:
        """Any management route this module does not wrap yet (see
        ``/docs``): ``path`` starts with ``/api/``; the answer is the
        decoded JSON. Retried as idempotent for GET, PUT and DELETE unless
        ``idempotent`` says otherwise."""
        if not path.startswith("/"):
            raise ValueError("path must start with /")
        method = method.upper()
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "PUT", "DELETE")
        segments = "/".join(quote(s, safe="") for s in path.split("/"))
        return self._run(Op(Request(method, segments, body=json, params=query(params or {}), idempotent=idempotent), _same))


class Admin(_AdminMethods, Connected):
    """The blocking management client. ``api_key`` is the master key or an
    admin session token (default ``GATEHOUSE_MASTER_KEY``); ``base_url``
    defaults to ``GATEHOUSE_BASE_URL`` or ``http://localhost:8003``."""

    _transport_class = SyncTransport
    _transport: SyncTransport
    _key_env = ENV_MASTER_KEY

    def _run(self, op: Op[T]) -> T:
        return op.parse(self._transport.call(op.req))

    def close(self) -> None:
        """Closes the connections (unless the http_client was yours)."""
        self._transport.close()

    def __enter__(self) -> "Admin":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


if TYPE_CHECKING:
    _AsyncBase = Connected
else:

    class _AsyncBase(_AdminMethods, Connected):
        pass


class AsyncAdmin(_AsyncBase):
    """The asyncio management client: :class:`Admin`'s methods, each
    returning an awaitable of the same result (``await
    admin.create_alias(…)``)."""

    if TYPE_CHECKING:
        # The methods are _AdminMethods' own, run through _run below; these
        # lines only tell type checkers that each result is awaitable.
        create_alias = awaitable(_AdminMethods.create_alias)
        list_aliases = awaitable(_AdminMethods.list_aliases)
        get_alias = awaitable(_AdminMethods.get_alias)
        update_alias = awaitable(_AdminMethods.update_alias)
        enable_alias = awaitable(_AdminMethods.enable_alias)
        disable_alias = awaitable(_AdminMethods.disable_alias)
        delete_alias = awaitable(_AdminMethods.delete_alias)
        create_group = awaitable(_AdminMethods.create_group)
        list_groups = awaitable(_AdminMethods.list_groups)
        get_group = awaitable(_AdminMethods.get_group)
        update_group = awaitable(_AdminMethods.update_group)
        add_models = awaitable(_AdminMethods.add_models)
        remove_models = awaitable(_AdminMethods.remove_models)
        delete_group = awaitable(_AdminMethods.delete_group)
        create_organization = awaitable(_AdminMethods.create_organization)
        list_organizations = awaitable(_AdminMethods.list_organizations)
        get_organization = awaitable(_AdminMethods.get_organization)
        update_organization = awaitable(_AdminMethods.update_organization)
        suspend_organization = awaitable(_AdminMethods.suspend_organization)
        activate_organization = awaitable(_AdminMethods.activate_organization)
        delete_organization = awaitable(_AdminMethods.delete_organization)
        organization_teams = awaitable(_AdminMethods.organization_teams)
        create_team = awaitable(_AdminMethods.create_team)
        list_teams = awaitable(_AdminMethods.list_teams)
        get_team = awaitable(_AdminMethods.get_team)
        update_team = awaitable(_AdminMethods.update_team)
        set_access_groups = awaitable(_AdminMethods.set_access_groups)
        suspend_team = awaitable(_AdminMethods.suspend_team)
        pause_team = awaitable(_AdminMethods.pause_team)
        resume_team = awaitable(_AdminMethods.resume_team)
        delete_team = awaitable(_AdminMethods.delete_team)
        create_key = awaitable(_AdminMethods.create_key)
        list_keys = awaitable(_AdminMethods.list_keys)
        rotate_key = awaitable(_AdminMethods.rotate_key)
        revoke_key = awaitable(_AdminMethods.revoke_key)
        add_credits = awaitable(_AdminMethods.add_credits)
        replenish = awaitable(_AdminMethods.replenish)
        adjust_credits = awaitable(_AdminMethods.adjust_credits)
        refund = awaitable(_AdminMethods.refund)
        conversion_rates = awaitable(_AdminMethods.conversion_rates)
        set_conversion_rates = awaitable(_AdminMethods.set_conversion_rates)
        set_budget_mode = awaitable(_AdminMethods.set_budget_mode)
        set_markup = awaitable(_AdminMethods.set_markup)
        configure_auto_refill = awaitable(_AdminMethods.configure_auto_refill)
        balance = awaitable(_AdminMethods.balance)
        transactions = awaitable(_AdminMethods.transactions)
        usage = awaitable(_AdminMethods.usage)
        create_credential = awaitable(_AdminMethods.create_credential)
        list_credentials = awaitable(_AdminMethods.list_credentials)
        get_credential = awaitable(_AdminMethods.get_credential)
        update_credential = awaitable(_AdminMethods.update_credential)
        delete_credential = awaitable(_AdminMethods.delete_credential)
        test_credential = awaitable(_AdminMethods.test_credential)
        providers = awaitable(_AdminMethods.providers)
        request = awaitable(_AdminMethods.request)

    _transport_class = AsyncTransport
    _transport: AsyncTransport
    _key_env = ENV_MASTER_KEY

    async def _arun(self, op: Op[T]) -> T:
        return op.parse(await self._transport.call(op.req))

    def _run(self, op: Op[T]) -> Awaitable[T]:
        return self._arun(op)

    async def aclose(self) -> None:
        """Closes the connections (unless the http_client was yours)."""
        await self._transport.aclose()

    async def __aenter__(self) -> "AsyncAdmin":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
