"""The OpenAPI 3.1 document of `/api/v1`. A test checks it against the URL map."""

ERROR_CODES = [
    "validation_error", "not_in_registry", "not_parent_of_child", "not_eligible_age",
    "commission_required", "registration_closed", "outside_microdistrict", "no_free_seats",
    "already_registered", "cancel_limit_reached", "representative_limit_reached",
    "document_required", "unauthorized", "rate_limited", "registry_unavailable",
    "school_not_available", "not_found", "not_allowed", "service_unavailable", "server_error",
    "not_configured",
    "confirmation_required",
    "proof_rejected",
    "child_already_shown", "child_linked_to_another_parent", "child_claimed_by_another",
    "child_already_added", "claim_data_mismatch",
]
LANGUAGES = ["ky", "ru", "uz", "tj", "en"]
PIN = {"type": "string", "pattern": "^[0-9]{14}$"}
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema):
    return {"application/json": {"schema": schema}}


def _errors(*statuses):
    return {
        str(status): {"description": "Error", "content": _json(_ref("Error"))} for status in statuses
    }


def _ok(status, schema, description="OK"):
    return {str(status): {"description": description, "content": _json(schema)}}


SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": ERROR_CODES},
                    "message": {"type": "string"},
                },
            },
            # already_registered, to the parent who registered the child: the
            # application they hold (a retry after a lost answer learns its place).
            "application": _ref("Application"),
        },
    },
    "ContactList": {
        "type": "object",
        "required": ["contacts"],
        "properties": {"contacts": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "channel", "address", "bound_at", "current"],
            "properties": {
                "id": {"type": "integer"},
                "channel": {"type": "string", "enum": ["email", "sms"]},
                "address": {"type": "string"},
                "bound_at": {"type": "string", "format": "date-time"},
                "current": {"type": "boolean"},
            },
        }}},
    },
    "LanguageSeats": {
        "type": "object",
        "required": ["language", "seats", "taken", "free"],
        "properties": {
            "language": {"type": "string", "enum": LANGUAGES},
            "seats": {"type": "integer"},
            "taken": {"type": "integer"},
            "free": {"type": "integer"},
        },
    },
    "School": {
        "type": "object",
        "required": ["code", "name", "district_code", "languages"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "district_code": {"type": "string"},
            "languages": {"type": "array", "items": _ref("LanguageSeats")},
        },
    },
    "SchoolList": {
        "type": "object",
        "required": ["stage", "schools"],
        "properties": {
            "stage": {"type": ["integer", "null"], "enum": [0, 1, 2, None],
                      "description": "0 before stage 1 opens, null after registration closes"},
            "schools": {"type": "array", "items": _ref("School")},
            "totals": {"type": "array", "items": _ref("LanguageSeats"),
                       "description": "/free-seats only: seats per language summed over the schools"},
        },
    },
    "HistoryEntry": {
        "type": "object",
        "required": ["status", "at", "by"],
        "properties": {
            "status": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "by": {"type": "string"},
        },
    },
    "Application": {
        "type": "object",
        "required": ["number", "status", "child_pin", "school_code", "language", "stage",
                     "over_quota", "category", "position", "cancellations_left", "created_at", "history"],
        "properties": {
            "number": {"type": "string"},
            "status": {"type": "string", "enum": [
                "registered", "documents_received", "enrolled", "cancelled",
                "documents_missing", "admitted_by_commission", "transferred_to_special_school",
                "proof_rejected"]},
            "child_pin": PIN,
            "child_name": {"type": "string"},
            "school_code": {"type": "string"},
            "language": {"type": "string", "enum": LANGUAGES},
            "stage": {"type": "integer"},
            "over_quota": {"type": "boolean"},
            "category": {"type": ["string", "null"]},
            "position": {"type": ["integer", "null"]},
            "cancellations_left": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "history": {"type": "array", "items": _ref("HistoryEntry")},
            "proof_check": {"oneOf": [{"type": "null"}, _ref("ProofCheck")]},
            "claim_check": {"oneOf": [{"type": "null"}, _ref("ClaimCheck")]},
        },
    },
    "ClaimCheck": {
        "type": "object",
        "description": "A child the applicant added (the registry does not show the link): the school "
                       "director's check of the original birth certificate, brought with the documents",
        "required": ["status", "until", "reason", "note"],
        "properties": {
            "status": {"type": "string", "enum": ["unverified", "confirmed", "rejected"]},
            "until": {"type": "string", "format": "date"},
            "reason": {"type": ["string", "null"], "enum": [None, "not_shown", "other_person", "not_valid", "other"]},
            "note": {"type": ["string", "null"]},
        },
    },
    "NewChild": {
        "type": "object",
        "description": "A child the registry does not show as the applicant's, with the birth certificate",
        "required": ["child_pin", "last_name", "first_name", "sex", "birth_date", "certificate_series",
                     "certificate_number"],
        "properties": {
            "child_pin": PIN,
            "last_name": {"type": "string", "minLength": 1, "maxLength": 100},
            "first_name": {"type": "string", "minLength": 1, "maxLength": 100},
            "patronymic": {"type": "string", "maxLength": 100},
            "sex": {"type": "string", "enum": ["M", "F"]},
            "birth_date": {"type": "string", "format": "date"},
            "certificate_series": {"type": "string", "minLength": 1, "maxLength": 16, "examples": ["I-АН"]},
            "certificate_number": {"type": "string", "pattern": "^[0-9]{4,12}$"},
        },
    },
    "ClaimedChild": {
        "type": "object",
        "required": ["id", "child_pin", "last_name", "first_name", "patronymic", "sex", "birth_date",
                     "certificate_series", "certificate_number", "state", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "child_pin": PIN,
            "last_name": {"type": "string"},
            "first_name": {"type": "string"},
            "patronymic": {"type": "string"},
            "sex": {"type": "string", "enum": ["M", "F"]},
            "birth_date": {"type": "string", "format": "date"},
            "certificate_series": {"type": "string"},
            "certificate_number": {"type": "string"},
            "state": {"type": "string", "enum": ["unverified", "confirmed", "rejected", "superseded"]},
            "created_at": {"type": "string", "format": "date-time"},
            "rejection_reason": {"type": ["string", "null"]},
            "rejection_note": {"type": ["string", "null"]},
        },
    },
    "ClaimedChildList": {
        "type": "object",
        "required": ["children"],
        "properties": {"children": {"type": "array", "items": _ref("ClaimedChild")}},
    },
    "ProofCheck": {
        "type": "object",
        "description": "R7, R9: the school director's check of the uploaded proof the admission rests on",
        "required": ["status", "until", "reason", "note"],
        "properties": {
            "status": {"type": "string", "enum": ["pending", "accepted", "rejected"]},
            "until": {"type": "string", "format": "date"},
            "reason": {"type": ["string", "null"], "enum": [
                None, "unreadable", "other_person", "not_valid", "not_a_teacher_of_the_school",
                "not_an_accepted_act", "other"]},
            "note": {"type": ["string", "null"]},
        },
    },
    "ApplicationList": {
        "type": "object",
        "required": ["applications"],
        "properties": {"applications": {"type": "array", "items": _ref("Application")}},
    },
    "NewApplication": {
        "type": "object",
        "required": ["child_pin", "school_code", "language"],
        "properties": {
            "child_pin": PIN,
            "school_code": {"type": "string", "minLength": 1},
            "language": {"type": "string", "enum": LANGUAGES},
            "category": {"type": "string", "enum": ["teacher", "twin"]},
        },
    },
    "NewApplicationWithDocument": {
        "type": "object",
        "required": ["child_pin", "school_code", "language", "document"],
        "properties": {
            "child_pin": PIN,
            "school_code": {"type": "string", "minLength": 1},
            "language": {"type": "string", "enum": LANGUAGES},
            "category": {"type": "string", "enum": ["teacher", "twin"]},
            "document": {"type": "string", "format": "binary",
                         "description": "PDF, JPEG or PNG, at most 5 MB (checked by content)"},
        },
    },
    "SignedOut": {
        "type": "object",
        "required": ["status", "tokens_revoked"],
        "properties": {
            "status": {"type": "string", "enum": ["signed_out"]},
            "tokens_revoked": {"type": "integer", "minimum": 0,
                               "description": "how many tokens this call ended"},
        },
    },
    "Me": {
        "type": "object",
        "required": ["applicant", "children"],
        "properties": {
            "applicant": {"type": "object", "properties": {"pin": PIN, "name": {"type": ["string", "null"]}}},
            "children": {"type": "array", "items": {"type": "object", "properties": {
                "pin": PIN, "name": {"type": "string"},
                "birth_date": {"type": "string", "format": "date"},
                "sex": {"type": "string", "enum": ["M", "F"]},
                "relation": {"type": "string", "enum": ["mother", "father", "guardian"]},
                "added": {"type": "boolean", "description": "added by the applicant, not shown by the registry"},
                "claim_state": {"type": ["string", "null"], "enum": [None, "unverified", "confirmed"]}}}},
        },
    },
}

BEARER = [{"bearer": []}]
CODE = {"type": "string", "pattern": "^[0-9]{6}$"}
NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}


def document():
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Mektep-1 parents' API",
            "version": "1.0.0",
            "description": "Registration of children into first grade (Kyrgyz Republic). "
                           "Messages follow Accept-Language: ky (default), ru, en.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/auth/start": {"post": {
                "summary": "Send a six-digit sign-in code, by e-mail or SMS, if the PIN is in the registry "
                           "and the identity document number matches",
                "description": "Give exactly one of `email` and `phone` (E.164). The code is sent only when the "
                               "registry holds the PIN and `id_document` matches the number of the identity "
                               "document it holds (where it holds none, it is not asked); the answer is the same "
                               "either way. A contact new to this PIN is bound at the first successful verify, "
                               "and the contacts bound before are told at once.",
                "requestBody": {"required": True, "content": _json({
                    "type": "object", "required": ["pin"],
                    "properties": {"pin": PIN, "email": {"type": "string", "format": "email"},
                                   "phone": {"type": "string", "pattern": "^\\+[1-9][0-9]{6,14}$"},
                                   "id_document": {"type": "string", "maxLength": 32}}})},
                "responses": {"202": {"description": "Accepted (the same answer whether or not the PIN exists). "
                                                     "Send `request` back with the code to `/auth/verify`: "
                                                     "tries with it are this client's own, and others' wrong "
                                                     "guesses cannot use them up.",
                                      "content": _json({"type": "object", "required": ["status", "request"],
                                                        "properties": {"status": {"type": "string"},
                                                                       "request": {"type": "string"}}})},
                              **_errors(422, 429, 503)},
            }},
            "/auth/verify": {"post": {
                "summary": "Exchange the code for a bearer token",
                "description": "`request`, as `/auth/start` answered it, names the code asked for; without it "
                               "every open code of the PIN is tried.",
                "requestBody": {"required": True, "content": _json({
                    "type": "object", "required": ["pin", "code"],
                    "properties": {"pin": PIN, "code": {"type": "string", "pattern": "^[0-9]{6}$"},
                                   "request": {"type": "string", "maxLength": 64}}})},
                "responses": {**_ok(200, {"type": "object", "required": ["token"],
                                          "properties": {"token": {"type": "string"}}}),
                              **_errors(401, 422, 429)},
            }},
            "/auth/tunduk": {"post": {
                "summary": "Exchange an ID token of the state identity provider (Түндүк) for a bearer token",
                "description": "The token must be signed by a key of the provider's key set (OpenID discovery "
                               "of TUNDUK_OIDC_ISSUER, its jwks_uri), with `iss` the issuer, `aud` the client id "
                               "(TUNDUK_OIDC_CLIENT_ID), not expired, and the parent's PIN in the claim named by "
                               "TUNDUK_OIDC_PIN_CLAIM (default `pin`); the PIN must be in the registry. "
                               "404 `not_configured` where no provider is configured; 401 `unauthorized` for a "
                               "bad token; 503 when the provider or the registry cannot be asked now.",
                "requestBody": {"required": True, "content": _json({
                    "type": "object", "required": ["id_token"],
                    "properties": {"id_token": {"type": "string", "minLength": 1,
                                                "description": "a signed JWT (compact serialisation)"}}})},
                "responses": {**_ok(200, {"type": "object", "required": ["token"],
                                          "properties": {"token": {"type": "string"}}}),
                              **_errors(401, 404, 422, 429, 503)},
            }},
            "/auth/sign-out": {"post": {
                "summary": "Sign out: the token of this call ends at once",
                "description": "Later calls with it answer 401 `unauthorized`. The applicant's other "
                               "tokens and their sessions on the public site go on.",
                "security": BEARER,
                "responses": {**_ok(200, _ref("SignedOut")), **_errors(401)},
            }},
            "/auth/sign-out-everywhere": {"post": {
                "summary": "Sign out everywhere: every token of the applicant ends, and their "
                           "sessions on the public site",
                "description": "For a lost phone or a shared computer. Later calls with any of the "
                               "tokens answer 401 `unauthorized`; signing in again gives a new token.",
                "security": BEARER,
                "responses": {**_ok(200, _ref("SignedOut")), **_errors(401)},
            }},
            "/me": {"get": {
                "summary": "The applicant and the children linked to them in the registry",
                "security": BEARER,
                "responses": {**_ok(200, _ref("Me")), **_errors(401, 503)},
            }},
            "/children": {
                "get": {
                    "summary": "The children the applicant added, with the state of each claim",
                    "security": BEARER,
                    "responses": {**_ok(200, _ref("ClaimedChildList")), **_errors(401)},
                },
                "post": {
                    "summary": "Add a child the registry does not show as the applicant's",
                    "description": "2026 text, obligations of the applicant: a parent whose preschool child "
                                   "is not shown adds the child in the cabinet. The link is unverified: the "
                                   "child can be registered under the normal rules and the school director "
                                   "checks the original birth certificate with the documents (`claim_check` "
                                   "of the application); a rejection ends the application (`proof_rejected`). "
                                   "Refused: a child the registry already shows as the applicant's "
                                   "(`child_already_shown`) or links to another parent "
                                   "(`child_linked_to_another_parent`), a PIN another applicant added "
                                   "(`child_claimed_by_another`), a date of birth the registry holds "
                                   "otherwise (`claim_data_mismatch`).",
                    "security": BEARER,
                    "requestBody": {"required": True, "content": _json(_ref("NewChild"))},
                    "responses": {**_ok(201, _ref("ClaimedChild"), "Added, unverified"),
                                  **_errors(401, 409, 422, 503)},
                },
            },
            "/schools": {"get": {
                "summary": "Schools open to this child now, with free seats per language",
                "security": BEARER,
                "parameters": [
                    {"name": "child_pin", "in": "query", "required": True, "schema": PIN},
                    {"name": "language", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": LANGUAGES}},
                    {"name": "district", "in": "query", "required": False, "schema": {"type": "string"}},
                ],
                "responses": {**_ok(200, _ref("SchoolList")), **_errors(401, 403, 404, 422, 503)},
            }},
            "/applications": {
                "get": {
                    "summary": "The applicant's applications",
                    "security": BEARER,
                    "responses": {**_ok(200, _ref("ApplicationList")), **_errors(401)},
                },
                "post": {
                    "summary": "Register a child",
                    "security": BEARER,
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": _ref("NewApplication")},
                        "multipart/form-data": {"schema": _ref("NewApplicationWithDocument")},
                    }},
                    # 413: a document over the size limit; 429: RATELIMIT_REGISTER (portal/limits.py)
                    "responses": {**_ok(201, _ref("Application"), "Registered"),
                                  **_errors(401, 403, 404, 409, 413, 422, 429, 503)},
                },
            },
            "/applications/{number}": {"get": {
                "summary": "One application with its status history",
                "security": BEARER,
                "parameters": [NUMBER],
                "responses": {**_ok(200, _ref("Application")), **_errors(401, 404)},
            }},
            "/applications/{number}/cancel": {"post": {
                "summary": "Cancel an application (at most 3 times per child and campaign)",
                "description": "An application made from another contact (e-mail or phone) than the one "
                               "this token was signed in with needs that contact's confirmation: without "
                               "`confirmation_code` the answer is 428 `confirmation_required` and a code goes "
                               "to that contact; repeat the call with it.",
                "security": BEARER,
                "parameters": [NUMBER],
                "requestBody": {"required": False, "content": _json({
                    "type": "object", "properties": {"confirmation_code": CODE}})},
                "responses": {**_ok(200, _ref("Application")), **_errors(401, 404, 409, 422, 428, 429)},
            }},
            "/applications/{number}/move": {"post": {
                "summary": "Stage 2: move to another school (counts as a cancellation)",
                "description": "An application made from another contact (e-mail or phone) than the one "
                               "this token was signed in with needs that contact's confirmation: without "
                               "`confirmation_code` the answer is 428 `confirmation_required` and a code goes "
                               "to that contact; repeat the call with it.",
                "security": BEARER,
                "parameters": [NUMBER],
                "requestBody": {"required": True, "content": _json({
                    "type": "object", "required": ["school_code", "language"],
                    "properties": {"school_code": {"type": "string", "minLength": 1},
                                   "language": {"type": "string", "enum": LANGUAGES},
                                   "confirmation_code": CODE}})},
                "responses": {**_ok(201, _ref("Application"), "Moved"),
                              **_errors(401, 403, 404, 409, 422, 428, 429, 503)},
            }},
            "/contacts": {"get": {
                "summary": "The e-mail addresses and mobile numbers bound to the applicant's PIN",
                "security": BEARER,
                "responses": {**_ok(200, _ref("ContactList")), **_errors(401)},
            }},
            "/contacts/{contact_id}": {"delete": {
                "summary": "Remove a bound contact",
                "description": "Not the last one, and not one bound before the contact this token was "
                               "signed in with (409 `not_allowed`): an intruder who got in through a new "
                               "contact cannot cut the parent off.",
                "security": BEARER,
                "parameters": [{"name": "contact_id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}],
                "responses": {**_ok(200, _ref("ContactList")), **_errors(401, 404, 409)},
            }},
            "/free-seats": {"get": {
                "summary": "Public: free seats per school and language",
                "description": "Kept for a few seconds (Cache-Control, ETag; If-None-Match answers 304). "
                               "`totals` sums the listed schools' seats per language.",
                "parameters": [{"name": "district", "in": "query", "required": False,
                                "schema": {"type": "string"}},
                               {"name": "language", "in": "query", "required": False,
                                "schema": {"type": "string", "enum": LANGUAGES}}],
                "responses": {**_ok(200, _ref("SchoolList")), "304": {"description": "Not modified"},
                              **_errors(422)},
            }},
            "/openapi.json": {"get": {
                "summary": "This document",
                "responses": _ok(200, {"type": "object"}),
            }},
        },
    }
