"""Every refusal code of the rules has one answer on each edge (issue 13): the API's
status and JSON body, and the public page's status and message. The table below is
written out by hand from data-formats.md, so a code that changes its status, or a
new code without one, fails here instead of answering 500 in production."""
import pytest
from flask import g

from portal.admission.errors import MESSAGES, AdmissionError
from portal.api import views as api
from portal.errors import HTTP_STATUS
from portal.public import edge

# data-formats.md (JSON API: errors), then the codes added since, as the API answers them.
API_ANSWER = {
    "validation_error": 422, "not_in_registry": 404, "not_parent_of_child": 403, "not_eligible_age": 422,
    "commission_required": 422, "registration_closed": 409, "outside_microdistrict": 422, "no_free_seats": 409,
    "already_registered": 409, "cancel_limit_reached": 409, "representative_limit_reached": 409,
    "document_required": 422, "document_limit_reached": 409, "appeal_limit_reached": 429,
    "appeal_already_open": 409, "unauthorized": 401, "rate_limited": 429, "registry_unavailable": 503,
    "school_not_available": 422, "not_found": 404, "not_allowed": 409, "not_configured": 404,
    "confirmation_required": 428, "proof_rejected": 409, "child_already_shown": 409,
    "child_linked_to_another_parent": 409, "child_claimed_by_another": 409, "child_already_added": 409,
    "claim_data_mismatch": 422, "service_unavailable": 503, "server_error": 500,
}
# A public page re-renders its form (422) unless asking again cannot help now.
PAGE_ANSWER = {code: 422 for code in API_ANSWER} | {
    "registry_unavailable": 503, "rate_limited": 429, "unauthorized": 401, "not_found": 404, "not_allowed": 409,
    "confirmation_required": 428, "appeal_limit_reached": 429, "appeal_already_open": 409,
    "document_limit_reached": 409, "service_unavailable": 503, "server_error": 500,
}
PARAMS = {"birth_from": "01.01.2019", "birth_to": "31.12.2020", "limit": 3, "hours": 24, "contact": "a***@mail.kg"}


def test_every_refusal_code_has_an_answer_on_both_edges():
    assert set(MESSAGES) == set(API_ANSWER) == set(HTTP_STATUS)


@pytest.mark.parametrize("code", sorted(API_ANSWER))
def test_the_api_answers_each_refusal_with_its_status_and_a_message_in_the_language(app, code):
    for locale in ("ky", "ru", "en"):
        with app.test_request_context(f"/api/v1/applications?lang={locale}", headers={"Accept-Language": locale}):
            g.locale = locale
            response = api.error_response(AdmissionError(code, **PARAMS))
            body = response.get_json()
            assert response.status_code == API_ANSWER[code]
            assert body["error"]["code"] == code
            assert body["error"]["message"] and "%(" not in body["error"]["message"]
            if code in ("registry_unavailable", "service_unavailable"):
                assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize("code", sorted(PAGE_ANSWER))
def test_a_public_page_shows_each_refusal_with_its_status_and_message(app, code):
    with app.test_request_context("/register/school"):
        error = AdmissionError(code, **PARAMS)
        response = edge.unavailable(error)
        assert response.status_code == PAGE_ANSWER[code]
        page = response.get_data(as_text=True)
        assert str(error.message).split(".")[0].replace("'", "&#39;") in page
