"""What the suite runs against and how hard, from environment variables (one switch: KORE_BASE_URL).

Without ``KORE_BASE_URL`` the target is kore-mock in-process (WSGI, a fresh in-memory store, the
built-in development app). With it, any host over HTTP: ``KORE_STREAM_ID``, ``KORE_ACCOUNT_ID``
and either ``KORE_JWT`` or ``KORE_CLIENT_ID`` + ``KORE_CLIENT_SECRET`` are then required.
``kore-mock contract`` sets the same variables from its options.

The target variables (``TARGET_VARIABLES``) are read only when asked: by ``kore-mock contract``
or by pytest's ``--kore-target`` option (``contract_run``). A plain ``pytest`` — the project's
test command — runs in-process even where they are exported for a real tenant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mockserver.contacts.rules import POLICIES, SKIP
from mockserver.profile import ACCOUNT_ID_FORMATS, DEFAULT, Profile, ProfileError
from mockserver.settings import (
    DEV_APP,
    DEV_STREAM_ID,
    SettingsError,
    read_yaml,
    unsendable,
)
from mockserver.urls import url_problem

STREAM_ID = re.compile(r"st-[A-Za-z0-9-]{1,100}")
ACCOUNT_ID = re.compile(ACCOUNT_ID_FORMATS["any"])

# (in-process mock, HTTP host)
DEFAULT_EXAMPLES = (100, 10)
DEFAULT_STATEFUL_EXAMPLES = (30, 3)
DEFAULT_RATE_PER_MINUTE = (0, 60)  # Kore allows 60 requests / minute per account
DEFAULT_COVERAGE = (True, False)  # the coverage phase sends ~100 cases per operation

VARIABLES = {
    "KORE_BASE_URL": "host to test, e.g. https://platform.kore.ai (unset: kore-mock in-process)",
    "KORE_STREAM_ID": "stream (bot) id, st-...",
    "KORE_ACCOUNT_ID": "account id (header accountId; Kore's are 24 hex)",
    "KORE_JWT": "a ready JWT for the header auth",
    "KORE_CLIENT_ID": "app client id; the suite signs its own HS256 JWT with...",
    "KORE_CLIENT_SECRET": "...the app's client secret",
    "KORE_EXAMPLES": "generated examples per operation (100 in-process, 10 over HTTP)",
    "KORE_STATEFUL_EXAMPLES": "stateful scenarios (30 in-process, 3 over HTTP)",
    "KORE_RATE_PER_MINUTE": "request budget per minute, 0 = unlimited (0 in-process, 60 over HTTP)",
    "KORE_COVERAGE": "schemathesis' coverage phase, 1 or 0 (on in-process, off over HTTP)",
    "KORE_SEED": "seed for data generation, to repeat a run",
    "KORE_MOCK_IMPORT_POLICY": "in-process mock only: skip (default) or reject",
    "KORE_PROFILE": "tenant profile YAML the host is expected to show (in-process: the mock's)",
    "KORE_PROFILE_REPORT": "write which reading of the profile the host showed, as JSON",
}


# what chooses the host, and the credentials for it: never read unless asked (see above)
TARGET_VARIABLES = (
    "KORE_BASE_URL",
    "KORE_STREAM_ID",
    "KORE_ACCOUNT_ID",
    "KORE_JWT",
    "KORE_CLIENT_ID",
    "KORE_CLIENT_SECRET",
)


class SuiteConfigError(ValueError):
    """The environment does not describe a usable target; the message says what is missing."""


@dataclass(frozen=True)
class SuiteSettings:
    base_url: str | None
    stream_id: str
    account_id: str
    jwt: str | None
    client_id: str | None
    client_secret: str | None
    examples: int
    stateful_examples: int
    rate_per_minute: int
    coverage: bool
    seed: int | None
    import_policy: str
    # the profile the target is stated to have: in-process always (the mock runs with it), for
    # a host only with KORE_PROFILE; None = unknown, every reading of it is accepted
    profile: Profile | None = None
    profile_report: str | None = None

    @property
    def in_process(self) -> bool:
        return self.base_url is None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SuiteSettings:
        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        base_url = get("KORE_BASE_URL")
        remote = int(base_url is not None)
        if base_url is None:
            stream_id, account_id = DEV_STREAM_ID, DEV_APP.account_id
            jwt = client_id = client_secret = None
        else:
            problem = url_problem(base_url)
            if problem:  # a port over 65535, a host name no resolver takes: tracebacks later
                raise SuiteConfigError(
                    f"KORE_BASE_URL must be an http(s) URL like https://platform.kore.ai, "
                    f"not {_shown(base_url)}: {problem}"
                )
            base_url = base_url.rstrip("/")
            stream_id = _required(get("KORE_STREAM_ID"), "KORE_STREAM_ID", STREAM_ID)
            account_id = _required(get("KORE_ACCOUNT_ID"), "KORE_ACCOUNT_ID", ACCOUNT_ID)
            jwt, client_id, client_secret = (
                get("KORE_JWT"),
                get("KORE_CLIENT_ID"),
                get("KORE_CLIENT_SECRET"),
            )
            problem = unsendable((("KORE_JWT", jwt), ("KORE_CLIENT_ID", client_id)))
            if problem:
                raise SuiteConfigError(problem)
            if jwt is None and not (client_id and client_secret):
                raise SuiteConfigError(
                    "KORE_BASE_URL is set: give KORE_JWT, or KORE_CLIENT_ID and KORE_CLIENT_SECRET "
                    "so the suite can sign its own token"
                )
        given_policy = get("KORE_MOCK_IMPORT_POLICY")
        if given_policy is not None and given_policy not in POLICIES:
            raise SuiteConfigError(
                f"KORE_MOCK_IMPORT_POLICY must be {' or '.join(POLICIES)}, not {given_policy!r}"
            )
        seed = get("KORE_SEED")
        profile = _profile(get("KORE_PROFILE"))
        if base_url is None:  # the in-process mock runs with the stated profile
            profile = profile or DEFAULT
            if given_policy is not None:
                profile = profile.with_readings({"importPolicy": given_policy})
        policy = profile.import_policy if profile is not None else given_policy or SKIP
        return cls(
            base_url=base_url,
            stream_id=stream_id,
            account_id=account_id,
            jwt=jwt,
            client_id=client_id,
            client_secret=client_secret,
            examples=_count(get("KORE_EXAMPLES"), "KORE_EXAMPLES", DEFAULT_EXAMPLES[remote], 1),
            stateful_examples=_count(
                get("KORE_STATEFUL_EXAMPLES"),
                "KORE_STATEFUL_EXAMPLES",
                DEFAULT_STATEFUL_EXAMPLES[remote],
                1,
            ),
            rate_per_minute=_count(
                get("KORE_RATE_PER_MINUTE"),
                "KORE_RATE_PER_MINUTE",
                DEFAULT_RATE_PER_MINUTE[remote],
                0,
            ),
            coverage=_flag(get("KORE_COVERAGE"), "KORE_COVERAGE", DEFAULT_COVERAGE[remote]),
            seed=None if seed is None else _count(seed, "KORE_SEED", 0, 0),
            import_policy=policy,
            profile=profile,
            profile_report=get("KORE_PROFILE_REPORT"),
        )

    def describe(self) -> str:
        if self.in_process:
            changed = _changed(self.profile)
            return f"kore-mock in-process (import policy {self.import_policy}{changed})"
        return f"{self.base_url} (stream {self.stream_id}, account {self.account_id})"


def _changed(profile: Profile | None) -> str:
    """``, profile: name=value, ...`` for the readings off their default, or nothing."""
    if profile is None:
        return ""
    changed = [
        f"{name}={value}"
        for name, value in profile.to_mapping().items()
        if name != "importPolicy" and value != DEFAULT.get(name)
    ]
    return f", profile {' '.join(changed)}" if changed else ""


def _profile(path: str | None) -> Profile | None:
    if path is None:
        return None
    try:
        raw = read_yaml(path, "KORE_PROFILE: profile file")
        return Profile.from_mapping(raw, f"KORE_PROFILE {path}: profile")
    except (SettingsError, ProfileError) as exc:
        raise SuiteConfigError(str(exc)) from None


def _required(value: str | None, name: str, pattern: re.Pattern[str]) -> str:
    if value is None:
        raise SuiteConfigError(f"KORE_BASE_URL is set, so {name} is required too")
    if not pattern.fullmatch(value):
        raise SuiteConfigError(f"{name}={value!r} does not look right ({VARIABLES[name]})")
    return value


def _count(value: str | None, name: str, default: int, minimum: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SuiteConfigError(f"{name} must be an integer, not {value!r}") from None
    if number < minimum:
        raise SuiteConfigError(f"{name} must be at least {minimum}, not {number}")
    return number


def _flag(value: str | None, name: str, default: bool) -> bool:
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SuiteConfigError(f"{name} must be 1 or 0, not {value!r}")


def _shown(url: str) -> str:
    """``url`` quoted for an error line: without a password it may hold."""
    head, at, tail = url.rpartition("@")
    return repr(url) if not at else repr(head.split("//", 1)[0] + "//…@" + tail)
