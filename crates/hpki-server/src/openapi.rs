//! The OpenAPI 3.1 description of `/api/v1/` (served at `/api/v1/openapi.json`). A test checks
//! that it describes exactly the routes the API router serves.

/// The document.
pub const DOCUMENT: &str = r##"{
  "openapi": "3.1.0",
  "info": {
    "title": "hpki registration authority API / 医師資格証 登録局 API",
    "version": "1.0.0",
    "description": "Applications for the 医師資格証 from reception to delivery, offices and officers. Authenticate with `Authorization: Bearer <token>` (`hpki officer token`). Errors are JSON: {\"error\": {\"code\", \"message\", \"message_ja\", \"message_en\", \"fields\": [{\"field\", \"code\", \"message_ja\", \"message_en\"}]}}."
  },
  "servers": [{"url": "/"}],
  "security": [{"bearer": []}],
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "schemas": {
      "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message", "message_ja", "message_en", "fields"],
          "properties": {
            "code": {"type": "string", "description": "not_authenticated, login_failed, locked, forbidden, missing_role, separation_of_duties, not_found, invalid, reason_required, papers_not_arrived, not_allowed_at_stage, version_conflict, bad_input, ca_refused, key_certified, busy, internal"},
            "message": {"type": "string", "description": "English, as message_en (kept for clients of the first release)"}, "message_ja": {"type": "string", "description": "日本語（英語を含まない）"}, "message_en": {"type": "string", "description": "English (no Japanese)"},
            "fields": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}}}}
      },
      "FieldError": {"type": "object", "required": ["field", "code", "message_ja", "message_en"],
        "properties": {"field": {"type": "string"}, "code": {"type": "string"}, "message_ja": {"type": "string"}, "message_en": {"type": "string"}}},
      "Stage": {"type": "string", "enum": ["draft", "received", "pre_reviewed", "main_reviewed", "approved", "issued", "shipped", "active", "returned", "rejected"]},
      "Action": {"type": "string", "enum": ["submit", "pre_review", "main_review", "papers_arrived", "final_review", "ship", "confirm_delivery", "return", "resubmit", "reject"]},
      "Form": {"type": "object", "description": "The 発行申請書 (hpki_ra::application::ApplicationForm); every field may be missing in a draft."},
      "Documents": {"type": "object", "description": "The document checklist (hpki_ra::application::DocumentChecklist)."},
      "Application": {"type": "object",
        "required": ["id", "version", "stage", "stage_label_ja", "stage_label_en", "office_id", "review_office_id", "form", "documents", "has_photo", "papers_arrived", "created_at", "updated_at"],
        "properties": {
          "id": {"type": "integer"}, "version": {"type": "integer"}, "stage": {"$ref": "#/components/schemas/Stage"},
          "stage_label_ja": {"type": "string"}, "stage_label_en": {"type": "string"},
          "office_id": {"type": "string"}, "review_office_id": {"type": "string"},
          "form": {"$ref": "#/components/schemas/Form"}, "documents": {"$ref": "#/components/schemas/Documents"},
          "has_photo": {"type": "boolean"}, "papers_tracking": {"type": ["string", "null"]}, "papers_arrived": {"type": "boolean"},
          "subscriber_id": {"type": ["string", "null"]}, "card_id": {"type": ["string", "null"]},
          "created_at": {"type": "integer"}, "updated_at": {"type": "integer"}}},
      "ApplicationSummary": {"type": "object", "required": ["id", "version", "stage", "office_id", "review_office_id", "name_kana", "name_kanji", "license_number", "updated_at"],
        "properties": {"id": {"type": "integer"}, "version": {"type": "integer"}, "stage": {"$ref": "#/components/schemas/Stage"},
          "stage_label_ja": {"type": ["string", "null"]}, "stage_label_en": {"type": ["string", "null"]},
          "office_id": {"type": "string"}, "review_office_id": {"type": "string"}, "name_kana": {"type": "string"},
          "name_kanji": {"type": "string"}, "license_number": {"type": "string"}, "updated_at": {"type": "integer"}}},
      "Draft": {"type": "object", "properties": {
          "version": {"type": "integer", "description": "required when saving an existing application"},
          "form": {"$ref": "#/components/schemas/Form"}, "documents": {"$ref": "#/components/schemas/Documents"},
          "photo_base64": {"type": "string", "description": "JPEG or PNG, at most 5 MiB"}}}
    },
    "responses": {
      "Error": {"description": "refused; see error.code", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Application": {"description": "the application", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}}
    }
  },
  "paths": {
    "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}}}},
    "/api/v1/me": {"get": {"summary": "The signed-in officer / ログイン中の担当者", "responses": {
      "200": {"description": "officer", "content": {"application/json": {"schema": {"type": "object", "properties": {"login": {"type": "string"}, "name": {"type": "string"}, "office_id": {"type": "string"}, "office_kind": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}}}}}}},
      "401": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/offices": {"get": {"summary": "Every office / 受付審査局の一覧", "responses": {
      "200": {"description": "offices", "content": {"application/json": {"schema": {"type": "object", "properties": {"offices": {"type": "array", "items": {"type": "object"}}}}}}},
      "401": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/offices/{id}/status": {"post": {"summary": "Set a prefectural office's status (HQ administrators) / 開設状況の変更",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["not_opened", "registered", "accepting"]}}}}}},
      "responses": {"200": {"description": "new status", "content": {"application/json": {}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/applications": {
      "get": {"summary": "Applications visible to the officer / 申請の一覧・検索",
        "parameters": [
          {"name": "stage", "in": "query", "schema": {"type": "string"}, "description": "comma-separated stages"},
          {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "name (kana or kanji) contains, or licence number equals"},
          {"name": "queue", "in": "query", "schema": {"type": "boolean"}, "description": "only the stages the officer acts on"}],
        "responses": {"200": {"description": "applications", "content": {"application/json": {"schema": {"type": "object", "properties": {"applications": {"type": "array", "items": {"$ref": "#/components/schemas/ApplicationSummary"}}}}}}},
          "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}}},
      "post": {"summary": "Start an application at reception (draft) / 受付（下書き作成）",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Draft"}}}},
        "responses": {"201": {"$ref": "#/components/responses/Application"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/applications/{id}": {
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
      "get": {"summary": "One application / 申請の詳細", "responses": {"200": {"$ref": "#/components/responses/Application"}, "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
      "put": {"summary": "Save a draft or a returned application / 下書きの保存",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Draft"}}}},
        "responses": {"200": {"$ref": "#/components/responses/Application"}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/applications/{id}/photo": {"get": {"summary": "The applicant's photo / 申請者の写真",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
      "responses": {"200": {"description": "image", "content": {"image/jpeg": {}, "image/png": {}}}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/applications/{id}/history": {"get": {"summary": "Every step of the application / 処理履歴",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
      "responses": {"200": {"description": "events", "content": {"application/json": {"schema": {"type": "object", "properties": {"events": {"type": "array", "items": {"type": "object"}}}}}}}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/applications/{id}/actions/{action}": {"post": {"summary": "A step of the workflow / 審査・差戻し・却下など",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                     {"name": "action", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/Action"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["version"], "properties": {
        "version": {"type": "integer"}, "reason": {"type": "string", "description": "required for return and reject"},
        "tracking": {"type": "string", "description": "tracking number of the papers mailed to HQ, required for main_review"}}}}}},
      "responses": {"200": {"$ref": "#/components/responses/Application"}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/applications/{id}/issue": {"post": {"summary": "Issue both certificates from the applicant's CSRs (CA operators at HQ) / 発行",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["version", "sign_csr", "auth_csr"], "properties": {
        "version": {"type": "integer"}, "sign_csr": {"type": "string", "description": "PKCS#10, PEM"}, "auth_csr": {"type": "string", "description": "PKCS#10, PEM"}}}}}},
      "responses": {"200": {"description": "issued", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "application": {"$ref": "#/components/schemas/Application"}, "sign_certificate": {"type": "string"}, "sign_serial": {"type": "string"},
        "auth_certificate": {"type": "string"}, "auth_serial": {"type": "string"}}}}}},
        "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/cards/{card_id}/lost": {"post": {"summary": "Record a lost card: its certificates are revoked (keyCompromise) (CA operators at HQ) / 紛失届",
      "parameters": [{"name": "card_id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "the card, now lost", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "card_id": {"type": "string"}, "status": {"type": "string"}, "sign_serial": {"type": ["string", "null"]}, "auth_serial": {"type": ["string", "null"]}}}}}},
        "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}}},
    "/api/v1/doctors/{subscriber_id}/revoke": {"post": {"summary": "Revoke every certificate of a doctor, e.g. when the qualification is lost (CA operators at HQ) / 資格喪失による失効",
      "parameters": [{"name": "subscriber_id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["reason"], "properties": {
        "reason": {"type": "string", "description": "RFC 5280 reason name: privilegeWithdrawn, affiliationChanged, cessationOfOperation, keyCompromise, superseded, unspecified"}}}}}},
      "responses": {"200": {"description": "serials revoked now", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "subscriber_id": {"type": "string"}, "revoked": {"type": "array", "items": {"type": "string"}}}}}}},
        "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}}
  }
}"##;

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_is_json_and_lists_the_routes() {
        let v: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        let paths: Vec<&String> = v["paths"].as_object().unwrap().keys().collect();
        for p in [
            "/api/v1/openapi.json",
            "/api/v1/me",
            "/api/v1/offices",
            "/api/v1/offices/{id}/status",
            "/api/v1/applications",
            "/api/v1/applications/{id}",
            "/api/v1/applications/{id}/photo",
            "/api/v1/applications/{id}/history",
            "/api/v1/applications/{id}/actions/{action}",
            "/api/v1/applications/{id}/issue",
            "/api/v1/cards/{card_id}/lost",
            "/api/v1/doctors/{subscriber_id}/revoke",
        ] {
            assert!(paths.iter().any(|q| q.as_str() == p), "{p} missing");
        }
        assert_eq!(paths.len(), 12);
    }
}
