"""JWT auth in the `auth` header: every refusal is 401 in Kore's words and stores nothing."""

import base64
import hashlib
import hmac
import time

import pytest

from mockserver.settings import DEV_APP
from tests.conftest import (
    NO_SCOPE_APP,
    ONE_STREAM_APP,
    OTHER_ACCOUNT,
    OTHER_ACCOUNT_APP,
    STREAM,
    base,
    csv_file,
)

FILE = csv_file("a,b,Mr,9876543210,+91,")


def import_with(api, token, account=None):
    return api.import_csv(FILE, headers={"auth": token, "accountId": account or api.account})


def assert_refused(api, response, msg):
    """401, Kore's words exactly in the first entry (code 4002, as Kore's platform answers);
    kore-mock's explanation, if any, in a second."""
    assert response.status_code == 401
    error, *detail = response.get_json()["errors"]
    assert error == {"msg": msg, "code": 4002}, error
    assert len(detail) <= 1, detail
    assert api.list().get_json()["totalResults"] == 0


def test_valid_token_imports(api):
    assert import_with(api, api.token).status_code == 200


def test_missing_token_is_refused_as_kores_platform_answers(api):
    for headers in ({"accountId": api.account}, {"auth": "", "accountId": api.account}):
        response = api.import_csv(FILE, headers=headers)
        assert_refused(api, response, "Invalid SDK credentials")
        assert "the auth header is missing" in response.get_json()["errors"][1]["msg"]


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "JWTToken"])
def test_garbage_token_is_refused_saying_it_is_no_jwt(api, token):
    response = import_with(api, token)
    assert_refused(api, response, "Invalid JWT token")
    assert response.get_json()["errors"][1] == {
        "msg": "the token is not a JWT (header.payload.signature, each part base64url)",
        "code": 4002,
    }


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_a_token_sent_with_bearer_before_it_is_refused_saying_to_leave_it_out(api, scheme):
    # what client libraries' auth helpers send; the header auth takes the JWT alone
    response = import_with(api, f"{scheme} {api.token}")
    assert_refused(api, response, "Invalid JWT token")
    assert "without 'Bearer '" in response.get_json()["errors"][1]["msg"]


@pytest.mark.parametrize("appended", ["12345", "1", "12", "123", "xx", "1234", "!!"])
def test_a_token_with_characters_appended_is_a_bad_signature(api, appended):
    # Kore's platform tests send their token with digits appended: Invalid SDK credentials —
    # whether or not what is appended leaves the signature valid base64 (it once depended on it)
    assert_refused(api, import_with(api, api.token + appended), "Invalid SDK credentials")


def test_forged_token_with_wrong_secret_is_refused(api, make_token):
    token = make_token(key="someone-elses-secret-of-32-or-more-chars")
    assert_refused(api, import_with(api, token), "Invalid SDK credentials")


def test_alg_none_token_is_refused(api, make_token):
    token = make_token(key=None, algorithm="none")
    assert_refused(api, import_with(api, token), "Invalid JWT token")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_hmac_algorithms_are_refused(api, make_token, algorithm):
    assert_refused(api, import_with(api, make_token(algorithm=algorithm)), "Invalid JWT token")


def test_expired_token_is_refused(api, make_token):
    token = make_token({"exp": int(time.time()) - 10})
    response = import_with(api, token)
    assert_refused(api, response, "Invalid JWT token")
    assert response.get_json()["errors"][1]["msg"] == "the token has expired"


def test_a_token_that_expires_after_its_first_use_is_then_refused(api, make_token, monkeypatch):
    """(A token checked once is remembered: its exp must still be checked every time.)"""
    token = make_token({"exp": int(time.time()) + 60})
    headers = {"auth": token, "accountId": api.account}
    assert api.call("GET", base(STREAM), headers=headers).status_code == 200
    later = time.time() + 120
    monkeypatch.setattr("mockserver.auth.time.time", lambda: later)
    response = api.call("GET", base(STREAM), headers=headers)
    assert response.status_code == 401
    assert [e["msg"] for e in response.get_json()["errors"]] == [
        "Invalid JWT token",
        "the token has expired",
    ]


def test_an_issued_at_time_a_little_ahead_of_the_servers_clock_is_accepted(api, make_token):
    # behaviour.md honours exp and nbf; a client whose clock runs a second fast still signs in
    assert import_with(api, make_token({"iat": int(time.time()) + 5})).status_code == 200


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_a_time_claim_that_is_not_a_number_is_refused(api, make_token, claim):
    response = import_with(api, make_token({claim: "9999999999"}))
    assert_refused(api, response, "Invalid JWT token")
    assert f"{claim} is not a number" in response.get_json()["errors"][1]["msg"]


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_a_time_claim_of_nan_infinity_or_past_a_floats_range_is_refused(api, claim, value):
    # no JSON number (or none a float holds): an iat of NaN or 1e400 was accepted
    payload = f'{{"sub":"x","appId":"{DEV_APP.client_id}","{claim}":{value}}}'
    response = import_with(api, signed_payload(payload))
    assert_refused(api, response, "Invalid JWT token")
    assert f"{claim} is not a number" in response.get_json()["errors"][1]["msg"]


def signed_payload(payload: str, secret: str = DEV_APP.client_secret) -> str:
    """A token of this payload text, as sent (what ``jwt.encode`` of a dict cannot write)."""

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signed = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(payload.encode())
    signature = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{b64(signature)}"


@pytest.mark.parametrize(
    ("claims", "answer"),
    [
        ({"exp": 10**400}, None),  # never expires
        ({"iat": 10**400}, None),
        ({"exp": -(10**400)}, "Invalid JWT token"),
        ({"nbf": 10**400}, "Invalid JWT token"),
        ({"exp": 10**400, "appId": "cs-nobody"}, "Invalid SDK credentials"),
    ],
)
def test_a_time_claim_past_a_floats_range_is_a_time_not_a_500(api, make_token, claims, answer):
    response = import_with(api, make_token(claims))
    if answer is None:
        assert response.status_code == 200
    else:
        assert_refused(api, response, answer)


def test_token_not_valid_yet_is_refused(api, make_token):
    token = make_token({"nbf": int(time.time()) + 3600})
    response = import_with(api, token)
    assert_refused(api, response, "Invalid JWT token")
    assert len(response.get_json()["errors"]) == 2  # and kore-mock's explanation


def test_unknown_app_is_refused(api, make_token):
    assert_refused(
        api, import_with(api, make_token({"appId": "cs-nobody"})), "Invalid SDK credentials"
    )


def test_token_without_app_id_is_refused(api, make_token):
    assert_refused(api, import_with(api, make_token({"appId": None})), "Invalid JWT token")


def test_app_without_configuration_scope_is_refused(api):
    response = api.as_app(NO_SCOPE_APP).import_csv(FILE)
    assert_refused(api, response, "Permission denied. Scope is incorrect!")


def test_app_of_another_account_is_refused(api):
    response = api.as_app(OTHER_ACCOUNT_APP, account=api.account).import_csv(FILE)
    assert_refused(api, response, "Invalid SDK credentials")


def test_account_header_of_another_account_is_refused(api):
    response = api.import_csv(FILE, headers={"auth": api.token, "accountId": OTHER_ACCOUNT})
    assert_refused(api, response, "Invalid SDK credentials")


def test_stream_the_app_may_not_use_is_refused(api):
    response = api.as_app(ONE_STREAM_APP).import_csv(FILE, stream=STREAM)
    assert_refused(api, response, "Invalid SDK credentials")


def test_bearer_authorization_header_is_not_the_auth_header(api):
    response = api.import_csv(
        FILE, headers={"Authorization": f"Bearer {api.token}", "accountId": api.account}
    )
    assert_refused(api, response, "Invalid SDK credentials")


def test_lowercase_accountid_header_works_like_the_docs_curl(api):
    response = api.call("GET", base(), headers={"auth": api.token, "accountid": api.account})
    assert response.status_code == 200


def test_missing_account_header_is_a_validation_error(api):
    response = api.call("GET", base(), headers={"auth": api.token})
    assert response.status_code == 412
    assert "accountId" in response.get_json()["errors"][1]["msg"]
