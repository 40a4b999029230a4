"""No input makes the API answer 500: random bodies, mutated workbooks, odd headers and arguments."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corpus
from sync_service import create_app, db
from sync_service.store.accounts import create_member, issue_token
from test_fuzz import mutate, mutation

VALID = corpus.valid_workbook()
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('api') / 'cpd.sqlite3'}",
                      "SUBMISSIONS_PER_MINUTE": 100_000})
    with app.app_context():
        session = db.session()
        token = issue_token(session, create_member(session, "fuzz@example.org"))
        session.commit()
    return app.test_client(), token


@FUZZ
@given(st.one_of(st.binary(max_size=2000), st.lists(mutation, min_size=1, max_size=4).map(lambda e: mutate(VALID, e))),
       st.one_of(st.none(), st.text(st.characters(blacklist_characters="\r\n\0"), max_size=200)))
def test_submissions_never_answer_500(api, body, key):
    client, token = api
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key.encode("utf-8", "ignore").decode("latin-1", "ignore")
    res = client.post("/api/v1/submissions", data=body, headers=headers)
    assert res.status_code < 500 and res.is_json
    if res.status_code >= 400:
        assert res.get_json()["error"]["code"]


json_values = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4), max_leaves=20)


@FUZZ
@given(st.sampled_from(["HOURS", "HOURS_BY", "COVERAGE", "TARGET", "READINESS", "CRITERIA", "nope"]),
       st.lists(json_values, max_size=8))
def test_functions_never_answer_500(api, name, args):
    client, _ = api
    res = client.post(f"/api/v1/functions/{name}", json={"args": args})
    assert res.status_code < 500 and res.is_json
