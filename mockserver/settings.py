"""One settings object, from CLI flags, environment variables and a YAML file (in that order).

YAML keys are camelCase like Kore's own fields::

    apps:
      - clientId: cs-test
        clientSecret: a-secret-of-32-or-more-characters
        accountId: 63c7ebae6a2aef36de8f0001
        scopes: [Configuration]
        streams: ["*"]
    importPolicy: skip          # also a reading of the profile
    profile:                    # the tenant profile: readings (mockserver/profile.py)
      validationStatus: 412
    db: kore-mock.db
    limits: {maxUploadBytes: 33554432, maxImportRows: 200000, maxJsonItems: 1000,
             maxSnapshotBytes: 268435456}
    rateLimit: {enabled: false, perMinute: 60}
    journalSize: 10000
    adminToken: null
    adminTokenFile: null      # where serve keeps (or generates) the admin token; see admin_token.py
    http: {headersTimeout: 10, bodyGracePeriod: 10, bodyMinRate: 1024, sendTimeout: 30,
           maxQueuedRequests: 64, retryAfter: 1, maxBufferedBytes: 268435456}
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from mockserver.contacts.rules import POLICIES
from mockserver.errors import MAX_DETAIL_CHARS, clip
from mockserver.json_body import is_integer, is_number
from mockserver.profile import ACCOUNT_ID_FORMATS, DEFAULT, Profile, ProfileError
from mockserver.spec import CONTROL, describe

CONFIGURATION_SCOPE = "Configuration"
MIN_SECRET_CHARS = 32
MAX_WORKERS = 64  # worker processes of `kore-mock serve` (flag, env and settings file alike)
MAX_PORT = 65535
MAX_COUNT = 2**63 - 1  # any count of the settings file: what a store's integer column holds
MAX_PER_MINUTE = 1_000_000  # rateLimit.perMinute, as control-openapi.yaml's PerMinute bounds it
_ACCOUNT_ID = re.compile(ACCOUNT_ID_FORMATS["any"])  # apps of any account the profile allows
_STREAM_ID = re.compile(r"st-[A-Za-z0-9-]{1,100}")


def is_stream_id(value: str) -> bool:
    """``st-`` and 1-100 letters, digits or ``-`` (the vendor paths' stream ids)."""
    return bool(_STREAM_ID.fullmatch(value))


DEV_CLIENT_ID = "cs-kore-mock-dev"
DEV_CLIENT_SECRET = "kore-mock-development-secret-not-for-production"
DEV_ACCOUNT_ID = "63c7ebae6a2aef36de8f0001"
DEV_STREAM_ID = "st-7dc994f0-4436-5134-9fa8-a94262500001"


class SettingsError(ValueError):
    """The settings are unusable; the message says which key and why."""


@dataclass(frozen=True)
class App:
    client_id: str
    client_secret: str
    account_id: str
    scopes: tuple[str, ...] = (CONFIGURATION_SCOPE,)
    streams: tuple[str, ...] = ("*",)
    name: str = ""

    def allows_stream(self, stream_id: str) -> bool:
        return "*" in self.streams or stream_id in self.streams

    def example_stream(self) -> str:
        return next((s for s in self.streams if s != "*"), DEV_STREAM_ID)

    def to_dict(self, *, with_secret: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "clientId": self.client_id,
            "accountId": self.account_id,
            "scopes": list(self.scopes),
            "streams": list(self.streams),
        }
        if self.name:
            data["name"] = self.name
        if with_secret:
            data["clientSecret"] = self.client_secret
        return data

    @classmethod
    def kept(cls, raw: dict[str, Any]) -> App:
        """An app as the store keeps it, read without checking it again: this version or an older
        one checked it when it was given, and an app an older version took by looser rules must
        not make every request of the server fail (a 500) once a newer version reads it."""
        return cls(
            client_id=raw["clientId"],
            client_secret=raw["clientSecret"],
            account_id=raw["accountId"],
            scopes=tuple(raw.get("scopes", [CONFIGURATION_SCOPE])),
            streams=tuple(raw.get("streams", ["*"])),
            name=raw.get("name", ""),
        )

    @classmethod
    def from_dict(cls, raw: Any, where: str = "app", *, stored: bool = False) -> App:
        """A new app, checked (``SettingsError``) as control-openapi.yaml's ``AppInput``;
        ``stored``: one a store kept (a snapshot's), checked as ``StoredApp`` — its clientId may
        be one an older version took (a ``/``, ``..``, a blank at an end), so that a snapshot a
        server saved loads back into it."""
        if not isinstance(raw, dict):
            raise SettingsError(
                f"{where}: must be a mapping with clientId, clientSecret, accountId"
            )
        unknown = set(raw) - {"clientId", "clientSecret", "accountId", "scopes", "streams", "name"}
        if unknown:
            raise SettingsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        for key in ("clientId", "clientSecret", "accountId"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise SettingsError(
                    f"{where}: {key} is required and must be a string (quote it in YAML)"
                )
        if len(raw["clientSecret"]) < MIN_SECRET_CHARS:
            raise SettingsError(
                f"{where}: clientSecret must have at least {MIN_SECRET_CHARS} characters"
            )
        if not _ACCOUNT_ID.fullmatch(raw["accountId"]):
            raise SettingsError(
                f"{where}: accountId must be 1-64 letters, digits, '-' or '_' "
                "(Kore's are 24 hex characters)"
            )
        _strings(raw.get("scopes", [CONFIGURATION_SCOPE]), f"{where}.scopes")
        streams = _strings(raw.get("streams", ["*"]), f"{where}.streams")
        for stream in streams:
            if stream != "*" and not is_stream_id(stream):
                raise SettingsError(f"{where}.streams: {stream!r} is not a stream id (st-...)")
        if not isinstance(raw.get("name", ""), str):
            raise SettingsError(f"{where}: name must be a string (quote it in YAML)")
        schema = _app_schema("StoredApp" if stored else "AppInput")
        for error in schema.iter_errors(raw):  # the rest, as the control plane checks it
            raise SettingsError(f"{where}: {_app_problem(error)}")
        return cls.kept(raw)


@functools.cache
def _app_schema(name: str) -> Any:
    """control-openapi.yaml's ``AppInput`` (an app as ``POST /__mock__/apps`` takes it: clientId
    and name at most 200 characters, name a string, the secret's length...; an app of the
    settings file is one too) or ``StoredApp`` (as a snapshot holds it)."""
    components = CONTROL.document["components"]
    return jsonschema_rs.validator_for(
        {"$ref": f"#/components/schemas/{name}", "components": components}
    )


def _app_problem(error: Any) -> str:
    """An ``AppInput`` finding as one short line (a value over its length is not echoed)."""
    field = ".".join(str(part) for part in error.instance_path) or "app"
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.MaxLength):
        return f"{field} must have at most {kind.limit} characters, not {len(error.instance)}"
    return f"{field}: {clip(describe(error), MAX_DETAIL_CHARS)}"


DEV_APP = App(
    client_id=DEV_CLIENT_ID,
    client_secret=DEV_CLIENT_SECRET,
    account_id=DEV_ACCOUNT_ID,
    name="kore-mock development app",
)


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 32 * 1024 * 1024
    max_import_rows: int = 200_000
    max_json_items: int = 1000
    max_json_bytes: int = 2 * 1024 * 1024
    max_snapshot_bytes: int = 256 * 1024 * 1024  # PUT /__mock__/snapshot


@dataclass(frozen=True)
class RateLimit:
    enabled: bool = False
    per_minute: int = 60


@dataclass(frozen=True)
class Http:
    """How ``kore-mock serve`` treats slow and abusive clients (``mockserver.http_front``)."""

    headers_timeout: float = 10.0  # s: request line and headers complete, from their 1st byte
    body_grace_period: float = 10.0  # s a body may take whatever its rate...
    body_min_rate: int = 1024  # ...after which it must average this many bytes a second
    send_timeout: float = 30.0  # s a response write may wait for a client that reads nothing
    max_queued_requests: int = 64  # complete requests waiting for a thread, per worker
    retry_after: int = 1  # s, the Retry-After of the 503 past that queue
    max_buffered_bytes: int = 256 * 1024 * 1024  # request bodies held at once, per worker


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    db: str = "kore-mock.db"
    apps: tuple[App, ...] = (DEV_APP,)
    # The tenant profile; ``import_policy`` is its reading importPolicy. Given (not None), it
    # wins over the profile's; afterwards both always agree.
    profile: Profile = DEFAULT
    import_policy: str | None = None
    # reading name -> where its value came from (settings, profile, environment, flag); absent
    # names have their default
    profile_origins: tuple[tuple[str, str], ...] = ()
    limits: Limits = field(default_factory=Limits)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    http: Http = field(default_factory=Http)
    journal_size: int = 10_000
    admin_token: str | None = None
    admin_token_file: str | None = None
    workers: int = 1
    config_file: str | None = None

    def __post_init__(self) -> None:
        if self.import_policy is not None and self.import_policy != self.profile.import_policy:
            object.__setattr__(
                self, "profile", self.profile.with_readings({"importPolicy": self.import_policy})
            )
        object.__setattr__(self, "import_policy", self.profile.import_policy)

    def with_profile(self, profile: Profile, origin: str, names: Any = ()) -> Settings:
        """These settings with ``profile`` in force; ``names`` (readings) came from ``origin``."""
        origins = dict(self.profile_origins) | dict.fromkeys(names, origin)
        return replace(
            self, profile=profile, import_policy=None, profile_origins=tuple(origins.items())
        )

    def origin(self, reading: str) -> str:
        """Where the start-up value of ``reading`` came from (``default`` when nothing set it)."""
        return dict(self.profile_origins).get(reading, "default")

    @property
    def using_dev_app(self) -> bool:
        return self.apps == (DEV_APP,)

    def app(self, client_id: str | None = None) -> App:
        if client_id is None:
            return self.apps[0]
        for app in self.apps:
            if app.client_id == client_id:
                return app
        known = ", ".join(a.client_id for a in self.apps)
        raise SettingsError(f"no app with clientId {client_id!r} (known: {known})")

    def with_overrides(self, **overrides: Any) -> Settings:
        """Apply CLI/env values; ``None`` means 'not given'."""
        given = {k: v for k, v in overrides.items() if v is not None}
        policy = given.pop("import_policy", None)
        settings = replace(self, **given)
        if policy is None or policy == settings.import_policy:
            return settings
        return settings.with_profile(
            settings.profile.with_readings({"importPolicy": policy}, "--import-policy"),
            "flag",
            ["importPolicy"],
        )


def check_app_accounts(apps: Iterable[App], profile: Profile) -> None:
    """Every app's account id is of the profile's ``accountIdFormat`` (``check_app_account``)."""
    for app in apps:
        check_app_account(app, profile)


def check_app_account(app: App, profile: Profile) -> None:
    """Under ``accountIdFormat: objectId`` an app's account id is 24 hex too: an app of another
    form could never be used (each of its requests refused 412), so it is refused here."""
    if not re.fullmatch(ACCOUNT_ID_FORMATS[profile.account_id_format], app.account_id):
        raise SettingsError(
            f"app {app.client_id}: accountId {app.account_id!r} is not of the profile's "
            f"accountIdFormat {profile.account_id_format!r} (24 hex characters)"
        )


def admin_token_problem(token: str) -> str | None:
    """Why no HTTP client can send ``token`` in the header X-Mock-Admin-Token; None if one can.

    A header's value loses its surrounding blanks, cannot hold a line end or another control
    character, and is not sent the same way by every client beyond ASCII (UTF-8 or Latin-1).
    """
    if not token.strip():
        return "it is blank"
    for char in token:
        if not char.isascii():
            return f"it holds the non-ASCII character {char!r}, which not every client can send"
        if not " " <= char <= "~":
            return f"it holds {_describe_char(char)}, which a header cannot carry"
    if token != token.strip():
        return "it has leading or trailing blanks, which a header's value loses"
    return None


def unsendable(named: Iterable[tuple[str, str | None]]) -> str | None:
    """Why a credential of ``named`` (name, value) cannot be sent in a header, naming it (a JWT,
    a client id signed into one); None if each can."""
    for name, value in named:
        problem = admin_token_problem(value) if value else None
        if problem:
            return f"{name} cannot be sent in a header: {problem}"
    return None


def check_admin_token(token: str, name: str) -> str:
    """``token`` if a client can send it; ``SettingsError`` naming ``name`` otherwise (a server
    with a token no client can send would answer every control call 403)."""
    problem = admin_token_problem(token)
    if problem:
        raise SettingsError(
            f"{name} must be printable ASCII without leading or trailing blanks ({problem})"
        )
    return token


_CHAR_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab"}


def _describe_char(char: str) -> str:
    return _CHAR_NAMES.get(char) or f"the control character U+{ord(char):04X}"


MAX_YAML_DEPTH = 32  # nested mappings and lists of a settings or profile file (they need 4)


class _UniqueKeysLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping: PyYAML keeps the last
    (a second ``rateLimit:`` block switched off the first one's limit without a word)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # <<: an anchor's keys, overridable
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:  # an unhashable key: the base class says so
                break
            if repeated:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str, what: str) -> Any:
    """The YAML document of the file ``path``; ``SettingsError`` naming it as ``what`` (e.g.
    "settings file") when it cannot be read, is not UTF-8, not YAML or nested too deep."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SettingsError(
            f"{what} {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None
    try:
        depth = 0  # counted on the parser's events: the loader would recurse as deep
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise SettingsError(
                        f"{what} {path} nests mappings and lists deeper than {MAX_YAML_DEPTH} "
                        "levels"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.load(text, Loader=_UniqueKeysLoader)  # a SafeLoader
    except yaml.YAMLError as exc:
        raise SettingsError(f"{what} {path} is not valid YAML: {_yaml_problem(exc)}") from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's error on one line: where, and what (its text quotes the lines around it)."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem is None:
        return " ".join(str(exc).split())
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    context = getattr(exc, "context", None)
    return where + (f"{problem} ({context})" if context else problem)


def load(path: str | None = None, base: Settings | None = None) -> Settings:
    """Settings from a YAML file, or the defaults (with the development app) when None;
    ``base``: the defaults of what the file leaves out (a command's own, such as the proxy's
    store in memory), ``Settings()`` when None."""
    base = base or Settings()
    if path is None:
        return base
    raw = read_yaml(path, "settings file")
    if raw is None:  # an empty file: no settings (a list, false, 0 or "" is refused)
        raw = {}
    return from_dict(raw, where=str(path), base=base).with_overrides(config_file=str(Path(path)))


_TOP_KEYS = {
    "apps",
    "importPolicy",
    "profile",
    "db",
    "host",
    "port",
    "limits",
    "rateLimit",
    "journalSize",
    "adminToken",
    "adminTokenFile",
    "workers",
    "http",
}


def _given(raw: Any) -> Any:
    """A mapping's keys that have a value: ``key: null`` (or ``key:`` with nothing, or ``~``)
    is the key left out, its default, in every section alike (some keys took it so, others
    refused it)."""
    return {k: v for k, v in raw.items() if v is not None} if isinstance(raw, dict) else raw


def from_dict(raw: Any, where: str = "settings", base: Settings | None = None) -> Settings:
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: the top level must be a mapping")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise SettingsError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: "
            + ", ".join(sorted(_TOP_KEYS))
        )
    raw = _given(raw)
    values: dict[str, Any] = {}
    if "apps" in raw:
        if not isinstance(raw["apps"], list) or not raw["apps"]:
            raise SettingsError(f"{where}: apps must be a non-empty list")
        apps = tuple(App.from_dict(a, f"{where}: apps[{i}]") for i, a in enumerate(raw["apps"]))
        ids = [a.client_id for a in apps]
        if len(set(ids)) != len(ids):
            raise SettingsError(f"{where}: apps: clientId values must be unique")
        values["apps"] = apps
    profile, names = _profile(raw, where)
    values["profile"] = profile
    values["profile_origins"] = tuple((name, "settings") for name in names)
    for key, attr in (
        ("db", "db"),
        ("host", "host"),
        ("adminToken", "admin_token"),
        ("adminTokenFile", "admin_token_file"),
    ):
        if key in raw:
            values[attr] = _string(raw[key], f"{where}: {key}")
    if "admin_token" in values:
        check_admin_token(values["admin_token"], f"{where}: adminToken")
    for key, attr, least, most in (
        ("port", "port", 0, MAX_PORT),  # 0: a free port the system picks, as --port 0
        ("journalSize", "journal_size", 1, MAX_COUNT),
        ("workers", "workers", 1, MAX_WORKERS),
    ):
        if key in raw:
            values[attr] = _positive(raw[key], f"{where}: {key}", most, least=least)
    if "limits" in raw:
        values["limits"] = _section(
            raw["limits"],
            Limits,
            {
                "maxUploadBytes": "max_upload_bytes",
                "maxImportRows": "max_import_rows",
                "maxJsonItems": "max_json_items",
                "maxJsonBytes": "max_json_bytes",
                "maxSnapshotBytes": "max_snapshot_bytes",
            },
            f"{where}: limits",
        )
    if "rateLimit" in raw:
        values["rate_limit"] = _section(
            raw["rateLimit"],
            RateLimit,
            {"enabled": "enabled", "perMinute": "per_minute"},
            f"{where}: rateLimit",
        )
    if "http" in raw:
        values["http"] = _http(raw["http"], f"{where}: http")
    if base is None:
        return Settings(**values)
    # the base's import_policy (kept to match its profile) would win over the file's profile
    return replace(base, **{"import_policy": None, **values})


_HTTP_SECONDS = {
    "headersTimeout": "headers_timeout",
    "bodyGracePeriod": "body_grace_period",
    "sendTimeout": "send_timeout",
}
_HTTP_COUNTS = {
    "bodyMinRate": "body_min_rate",
    "maxQueuedRequests": "max_queued_requests",
    "retryAfter": "retry_after",
    "maxBufferedBytes": "max_buffered_bytes",
}


def _http(raw: Any, where: str) -> Http:
    if not isinstance(raw, dict):
        raise SettingsError(f"{where} must be a mapping")
    unknown = set(raw) - set(_HTTP_SECONDS) - set(_HTTP_COUNTS)
    if unknown:
        raise SettingsError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: "
            + ", ".join(sorted({*_HTTP_SECONDS, *_HTTP_COUNTS}))
        )
    raw = _given(raw)
    values: dict[str, Any] = {}
    for key, attr in _HTTP_SECONDS.items():
        if key in raw:
            value = raw[key]
            if not is_number(value) or not 0 < value < 1e9:
                raise SettingsError(
                    f"{where}.{key} must be a positive number of seconds under 1000000000, "
                    f"not {value!r}"
                )
            values[attr] = float(value)
    for key, attr in _HTTP_COUNTS.items():
        if key in raw:
            values[attr] = _positive(raw[key], f"{where}.{key}")
    return Http(**values)


def _profile(raw: dict[str, Any], where: str) -> tuple[Profile, list[str]]:
    """The settings file's profile: ``profile:``, and the top-level ``importPolicy``."""
    section = raw.get("profile")
    try:
        profile = Profile.from_mapping(section, f"{where}: profile")
    except ProfileError as exc:
        raise SettingsError(str(exc)) from None
    names = list(section or {})
    if "importPolicy" in raw:
        policy = check_policy(raw["importPolicy"], where)
        if "importPolicy" in names and profile.import_policy != policy:
            raise SettingsError(
                f"{where}: importPolicy is {policy!r} at the top level and "
                f"{profile.import_policy!r} under profile:; give it once"
            )
        profile = profile.with_readings({"importPolicy": policy})
        names.append("importPolicy")
    return profile, names


def load_profile(path: str, settings: Settings) -> Settings:
    """``settings`` with the readings of a profile file (``serve --profile FILE``) in force."""
    raw = read_yaml(path, "profile file")
    if raw is None:
        raw = {}
    try:
        profile = settings.profile.with_readings(raw, f"{path}: profile")
    except ProfileError as exc:
        raise SettingsError(str(exc)) from None
    return settings.with_profile(profile, "profile", list(raw))


def check_policy(value: Any, where: str | None = None, *, name: str = "importPolicy") -> str:
    """``value`` if it is an import policy; ``SettingsError`` naming ``name`` (the setting or
    argument that gave it) and, if given, ``where`` (the file) otherwise."""
    if value not in POLICIES:
        names = " or ".join(repr(policy) for policy in POLICIES)
        at = f"{where}: " if where else ""
        raise SettingsError(f"{at}{name} must be {names}, not {value!r}")
    return value


def _section(raw: Any, cls: type, names: dict[str, str], where: str) -> Any:
    if not isinstance(raw, dict):
        raise SettingsError(f"{where} must be a mapping")
    unknown = set(raw) - set(names)
    if unknown:
        raise SettingsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    raw = _given(raw)
    values = {}
    for key, attr in names.items():
        if key in raw:
            value = raw[key]  # a switch (rateLimit.enabled) or a count
            if key == "enabled":
                if not isinstance(value, bool):
                    raise SettingsError(f"{where}.enabled must be true or false")
                values[attr] = value
            else:
                most = MAX_PER_MINUTE if key == "perMinute" else MAX_COUNT
                values[attr] = _positive(value, f"{where}.{key}", most)
    return cls(**values)


def _positive(value: Any, where: str, most: int = MAX_COUNT, *, least: int = 1) -> int:
    if not is_integer(value) or value < least:
        kind = "a positive integer" if least == 1 else f"an integer from {least}"
        raise SettingsError(f"{where} must be {kind}, not {value!r}")
    if value > most:
        raise SettingsError(f"{where} must be at most {most}, not {value!r}")
    return value


_SERVICE_LINK = re.compile(r"tcp://[^/\s]+:[0-9]+")


def is_service_link(value: str) -> bool:
    """A ``KORE_MOCK_PORT`` of the form ``tcp://10.96.0.12:8080``: what Kubernetes (and Docker's
    links) set in every container for a service named ``kore-mock``, the service's address, not
    a port to serve on; kore-mock leaves it out (its default port)."""
    return bool(_SERVICE_LINK.fullmatch(value.strip()))


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise SettingsError(f"{where} must be a non-empty string")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SettingsError(f"{where} must be a list of strings")
    return value
