"""What the fuzzers found once they drew new examples (issue #19, item 7), kept
as plain tests so that the default run guards them too."""
import re

import pytest

from portal.limits import REGISTER_ENDPOINTS, SIGN_IN_ENDPOINTS
from tests.scenario import SCENARIO, sign_in


@pytest.mark.parametrize("contact_id", ["10512259168834981888", str(2**31), "0"])
def test_a_contact_id_beyond_the_columns_range_is_not_found_not_a_server_error(sample, contact_id):
    client = sample.test_client()
    bearer = sign_in(client, sample, SCENARIO["stage1_parent"]["parent_pin"])
    response = client.delete(f"/api/v1/contacts/{contact_id}", headers=bearer)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_every_rate_limited_operation_documents_its_429(app, client):
    """50 registrations a minute (the PostgreSQL pass's budget) met RATELIMIT_REGISTER's
    429 on POST /applications, which the document did not list."""
    document = client.get("/api/v1/openapi.json").json
    limited = set(REGISTER_ENDPOINTS) | {e for e in SIGN_IN_ENDPOINTS if e.startswith("api.")}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in limited:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if "429" not in document["paths"][path][method.lower()]["responses"]:
                missing.append(f"{method} {path}")
    assert not missing, f"rate-limited but 429 not documented: {missing}"
