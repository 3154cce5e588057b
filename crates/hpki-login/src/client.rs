//! A relying party registered by the administrator (OpenID Connect Dynamic Client Registration
//! §2 names the metadata; here registration is by `hpki oidc client add`).

/// How the client authenticates at the token endpoint (`token_endpoint_auth_method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKind {
    /// A confidential client with a secret: `client_secret_basic` or `client_secret_post`.
    Confidential,
    /// A public client (an app in the browser or on a phone): `none`, PKCE S256 required.
    Public,
}

impl ClientKind {
    /// `confidential` / `public`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Confidential => "confidential",
            ClientKind::Public => "public",
        }
    }

    /// The stored form back.
    pub fn parse(s: &str) -> Option<ClientKind> {
        match s {
            "confidential" => Some(ClientKind::Confidential),
            "public" => Some(ClientKind::Public),
            _ => None,
        }
    }
}

/// What `sub` the client sees (OpenID Connect Core §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectType {
    /// A different `sub` for each sector (§8.1), the default: two networks cannot join their
    /// records of a doctor by `sub`.
    Pairwise,
    /// The subscriber ID itself, for a relying party the configuration trusts with it.
    Public,
}

impl SubjectType {
    /// `pairwise` / `public`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Pairwise => "pairwise",
            SubjectType::Public => "public",
        }
    }

    /// The stored form back.
    pub fn parse(s: &str) -> Option<SubjectType> {
        match s {
            "pairwise" => Some(SubjectType::Pairwise),
            "public" => Some(SubjectType::Public),
            _ => None,
        }
    }
}

/// A registered relying party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// `client_id`.
    pub client_id: String,
    /// The name shown on the consent screen.
    pub name: String,
    /// The registered `redirect_uris`, compared exactly (RFC 6749 §3.1.2.3, OIDC Core §3.1.2.1).
    pub redirect_uris: Vec<String>,
    /// The registered `post_logout_redirect_uris` (RP-Initiated Logout §3.1).
    pub post_logout_redirect_uris: Vec<String>,
    /// Confidential or public.
    pub kind: ClientKind,
    /// Pairwise or public `sub`.
    pub subject_type: SubjectType,
    /// Whether the administrator disabled it.
    pub disabled: bool,
}

impl Client {
    /// The sector identifier of a pairwise `sub` (OIDC Core §8.1): the host of the registered
    /// redirect URIs when they share one, else the client ID (each client its own sector).
    pub fn sector_identifier(&self) -> String {
        let hosts: Vec<&str> = self.redirect_uris.iter().filter_map(|u| host(u)).collect();
        match hosts.split_first() {
            Some((first, rest)) if rest.iter().all(|h| h == first) => (*first).to_owned(),
            _ => format!("client:{}", self.client_id),
        }
    }

    /// Whether `uri` is one of the registered redirect URIs, exactly.
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|u| u == uri)
    }
}

/// The host (and port) of an absolute `http(s)` URI.
pub fn host(uri: &str) -> Option<&str> {
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    (!authority.is_empty() && !authority.contains('@')).then_some(authority)
}

/// Whether `uri` may be registered as a redirect URI: an absolute `https` URI, or `http` on
/// the loopback (RFC 8252 §7.3), without a fragment (RFC 6749 §3.1.2).
pub fn is_registrable_redirect_uri(uri: &str) -> bool {
    let Some(h) = host(uri) else {
        return false;
    };
    if uri.contains('#') || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let name = h.rsplit_once(':').map_or(h, |(n, _)| n);
    uri.starts_with("https://") || matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(uris: &[&str]) -> Client {
        Client {
            client_id: "c1".into(),
            name: "n".into(),
            redirect_uris: uris.iter().map(|s| s.to_string()).collect(),
            post_logout_redirect_uris: vec![],
            kind: ClientKind::Confidential,
            subject_type: SubjectType::Pairwise,
            disabled: false,
        }
    }

    #[test]
    fn the_sector_is_the_one_host_of_the_redirect_uris() {
        assert_eq!(
            client(&["https://rp.example/cb", "https://rp.example/cb2"]).sector_identifier(),
            "rp.example"
        );
        assert_eq!(
            client(&["https://a.example/cb", "https://b.example/cb"]).sector_identifier(),
            "client:c1"
        );
    }

    #[test]
    fn redirect_uris_match_exactly() {
        let c = client(&["https://rp.example/cb"]);
        assert!(c.has_redirect_uri("https://rp.example/cb"));
        assert!(!c.has_redirect_uri("https://rp.example/cb/"));
        assert!(!c.has_redirect_uri("https://rp.example/cb?x=1"));
        assert!(!c.has_redirect_uri("https://rp.example.evil/cb"));
    }

    #[test]
    fn only_https_or_loopback_http_without_fragment_is_registrable() {
        assert!(is_registrable_redirect_uri("https://rp.example/cb"));
        assert!(is_registrable_redirect_uri("http://127.0.0.1:9000/cb"));
        assert!(is_registrable_redirect_uri("http://localhost/cb"));
        assert!(!is_registrable_redirect_uri("http://rp.example/cb"));
        assert!(!is_registrable_redirect_uri("https://rp.example/cb#frag"));
        assert!(!is_registrable_redirect_uri("https://user@rp.example/cb"));
        assert!(!is_registrable_redirect_uri("javascript:alert(1)"));
        assert!(!is_registrable_redirect_uri("https:///cb"));
    }
}
