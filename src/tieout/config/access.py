"""tieout.yml `access:`: who may do what. Roles are fixed names; the role x action matrix is
configurable, and the default is safe: people see everything their role needs and change
only what their function owns."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

ROLES = ("admin", "leadership", "finance", "sales", "marketing", "service", "ps", "ops", "viewer")
ACTIONS = (
    "view",  # every page and listing
    "exceptions.act",  # assign, acknowledge, resolve, comment
    "exceptions.waive",
    "exceptions.approve",  # approve or reject a waiver above waive_approval_above
    "plan.edit",  # import a plan version, explain a variance
    "plan.approve",
    "decisions.raise",
    "decisions.decide",
    "close.signoff",
    "match.review",
    "users.admin",
)
OPERATOR = ["view", "exceptions.act", "decisions.raise"]


def _default_matrix() -> dict[str, list[str]]:
    return {
        "admin": list(ACTIONS),
        "leadership": [*OPERATOR, "exceptions.waive", "plan.approve", "decisions.decide"],
        "finance": [
            *OPERATOR,
            "exceptions.waive",
            "exceptions.approve",
            "close.signoff",
            "match.review",
        ],
        "sales": [*OPERATOR, "plan.edit", "plan.approve"],
        "marketing": [*OPERATOR, "plan.edit"],
        "service": OPERATOR,
        "ps": OPERATOR,
        "ops": [*OPERATOR, "match.review"],
        "viewer": ["view"],
    }


class AccessConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: dict[str, list[str]] = Field(
        default_factory=_default_matrix,
        description="role -> the actions it may take; a role left out may do nothing",
    )
    own_accounts_only: list[str] = Field(
        default_factory=lambda: ["sales"],
        description="roles limited to the accounts their user owns in the CRM",
    )
    waive_approval_above: float = Field(
        10000,
        ge=0,
        description="a waiver of more money at risk than this waits for a second person "
        "with exceptions.approve (finance by default)",
    )
    login_attempts: int = Field(5, ge=1, description="failed logins before a 15-minute lock")
    trusted_proxies: list[IPv4Network | IPv6Network] = Field(
        default_factory=list,
        description="the addresses (IPs or CIDRs) of the SSO proxies whose trusted_header is "
        "believed: the address of the connection itself (tieout serve ignores "
        "X-Forwarded-For, so a client cannot claim to be the proxy)",
    )
    trusted_header: str | None = Field(
        None,
        description="behind an SSO proxy: the header that carries the user name, believed "
        "only on requests from trusted_proxies",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        """A bare address is a network of one (strict=False: 10.0.0.1/8 is 10.0.0.0/8)."""
        if not isinstance(value, list):
            return value
        return [ip_network(str(v), strict=False) for v in value]

    @field_validator("trusted_header")
    @classmethod
    def _only_from_proxies(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and not info.data.get("trusted_proxies"):
            raise ValueError(
                "trusted_header is believed only from the SSO proxy: list its address(es) in "
                "access.trusted_proxies (anyone else could send the header and be any user)"
            )
        return value

    @model_validator(mode="after")
    def _known_names(self) -> AccessConfig:
        for role, actions in self.roles.items():
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
            unknown = set(actions) - set(ACTIONS)
            if unknown:
                raise ValueError(
                    f"role {role}: unknown action(s) {', '.join(sorted(unknown))}; actions "
                    f"are {', '.join(ACTIONS)}"
                )
        for role in self.own_accounts_only:
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r} in own_accounts_only")
        if "users.admin" not in self.roles.get("admin", []):
            raise ValueError("the admin role must keep users.admin")
        return self

    def allows(self, role: str, action: str) -> bool:
        return action in self.roles.get(role, [])

    def from_proxy(self, host: str | None) -> bool:
        """Whether a request from `host` comes from a trusted proxy."""
        try:
            address = ip_address(host or "")
        except ValueError:
            return False
        return any(address in network for network in self.trusted_proxies)
