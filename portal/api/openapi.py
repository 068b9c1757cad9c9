"""The OpenAPI 3.1 document of `/api/v1`. A test checks it against the URL map."""

ERROR_CODES = [
    "validation_error", "not_in_registry", "not_parent_of_child", "not_eligible_age",
    "commission_required", "registration_closed", "outside_microdistrict", "no_free_seats",
    "already_registered", "cancel_limit_reached", "representative_limit_reached",
    "document_required", "unauthorized", "rate_limited", "registry_unavailable",
    "school_not_available", "not_found", "not_allowed", "service_unavailable", "server_error",
    "proof_rejected",
]
LANGUAGES = ["ky", "ru", "uz", "tj", "en"]
PIN = {"type": "string", "pattern": "^[0-9]{14}$"}


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
        },
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
    "Me": {
        "type": "object",
        "required": ["applicant", "children"],
        "properties": {
            "applicant": {"type": "object", "properties": {"pin": PIN, "name": {"type": ["string", "null"]}}},
            "children": {"type": "array", "items": {"type": "object", "properties": {
                "pin": PIN, "name": {"type": "string"},
                "birth_date": {"type": "string", "format": "date"},
                "sex": {"type": "string", "enum": ["M", "F"]},
                "relation": {"type": "string", "enum": ["mother", "father", "guardian"]}}}},
        },
    },
}

BEARER = [{"bearer": []}]
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
                "summary": "Mail a six-digit sign-in code if the PIN is in the registry",
                "requestBody": {"required": True, "content": _json({
                    "type": "object", "required": ["pin", "email"],
                    "properties": {"pin": PIN, "email": {"type": "string", "format": "email"}}})},
                "responses": {"202": {"description": "Accepted (the same answer whether or not the PIN exists)",
                                      "content": _json({"type": "object"})},
                              **_errors(422, 429, 503)},
            }},
            "/auth/verify": {"post": {
                "summary": "Exchange the code for a bearer token",
                "requestBody": {"required": True, "content": _json({
                    "type": "object", "required": ["pin", "code"],
                    "properties": {"pin": PIN, "code": {"type": "string", "pattern": "^[0-9]{6}$"}}})},
                "responses": {**_ok(200, {"type": "object", "required": ["token"],
                                          "properties": {"token": {"type": "string"}}}),
                              **_errors(401, 422)},
            }},
            "/me": {"get": {
                "summary": "The applicant and the children linked to them in the registry",
                "security": BEARER,
                "responses": {**_ok(200, _ref("Me")), **_errors(401, 503)},
            }},
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
                    "responses": {**_ok(201, _ref("Application"), "Registered"),
                                  **_errors(401, 403, 404, 409, 413, 422, 503)},  # 413: a document over the size limit
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
                "security": BEARER,
                "parameters": [NUMBER],
                "responses": {**_ok(200, _ref("Application")), **_errors(401, 404, 409)},
            }},
            "/applications/{number}/move": {"post": {
                "summary": "Stage 2: move to another school (counts as a cancellation)",
                "security": BEARER,
                "parameters": [NUMBER],
                "requestBody": {"required": True, "content": _json({
                    "type": "object", "required": ["school_code", "language"],
                    "properties": {"school_code": {"type": "string", "minLength": 1},
                                   "language": {"type": "string", "enum": LANGUAGES}}})},
                "responses": {**_ok(201, _ref("Application"), "Moved"),
                              **_errors(401, 403, 404, 409, 422, 503)},
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
