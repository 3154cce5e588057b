//! The standard error responses of OAuth 2.0 and OpenID Connect.
//!
//! RFC 6749 §4.1.2.1 (authorization endpoint), §5.2 (token endpoint), RFC 6750 §3.1
//! (protected resources) and OpenID Connect Core §3.1.2.6 (`login_required`,
//! `consent_required`, `request_not_supported`, …). `error_description` is for the developer of
//! the relying party and, as §4.1.2.1 requires, plain ASCII (%x20-21 / %x23-5B / %x5D-7E):
//! English. What a person reads is on the provider's own pages, in Japanese first.

use serde_json::{Value, json};

/// An `error` code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// RFC 6749: missing, repeated or malformed parameter.
    InvalidRequest,
    /// RFC 6749: the client may not use this grant or response type.
    UnauthorizedClient,
    /// RFC 6749: the person or the provider refused.
    AccessDenied,
    /// RFC 6749: only `code` is offered.
    UnsupportedResponseType,
    /// RFC 6749: the scope is unknown or lacks `openid`.
    InvalidScope,
    /// RFC 6749: the provider failed.
    ServerError,
    /// RFC 6749: the provider is overloaded.
    TemporarilyUnavailable,
    /// RFC 6749 §5.2: client authentication failed.
    InvalidClient,
    /// RFC 6749 §5.2: the code or refresh token is invalid, expired, used, or not this client's.
    InvalidGrant,
    /// RFC 6749 §5.2: only `authorization_code` is offered.
    UnsupportedGrantType,
    /// OIDC Core §3.1.2.6: `prompt=none` but nobody is signed in.
    LoginRequired,
    /// OIDC Core §3.1.2.6: `prompt=none` but consent is needed.
    ConsentRequired,
    /// OIDC Core §3.1.2.6: `prompt=none` but the person must act.
    InteractionRequired,
    /// OIDC Core §6: request objects are not supported.
    RequestNotSupported,
    /// OIDC Core §6: `request_uri` is not supported.
    RequestUriNotSupported,
    /// RFC 6750 §3.1: the access token is invalid, expired or revoked.
    InvalidToken,
}

impl ErrorCode {
    /// The registered string.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::InvalidToken => "invalid_token",
        }
    }
}

/// An error response: the code and a description for the relying party's developer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    /// The code.
    pub code: ErrorCode,
    /// ASCII text for developers.
    pub description: String,
}

impl OAuthError {
    /// An error with `code`; the description is made ASCII-safe.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> OAuthError {
        let description: String = description
            .into()
            .chars()
            .map(|c| {
                if c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\') {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        OAuthError { code, description }
    }

    /// The JSON body of RFC 6749 §5.2.
    pub fn to_json(&self) -> Value {
        json!({"error": self.code.as_str(), "error_description": self.description})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_stays_in_the_ascii_of_section_4_1_2_1() {
        let e = OAuthError::new(ErrorCode::InvalidRequest, "nonce \"x\" \\ 日本");
        assert_eq!(e.description, "nonce ?x? ? ??");
        assert_eq!(e.to_json()["error"], "invalid_request");
    }
}
