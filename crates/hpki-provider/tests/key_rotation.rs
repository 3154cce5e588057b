//! ID-token key rotation: a new generation signs, the old one stays in the JWKS so that what it
//! signed still verifies, until it is retired; the signing key cannot be retired.

use std::sync::Arc;

use hpki_ca::ceremony::{InitOptions, init};
use hpki_provider::Provider;
use serde_json::json;

#[tokio::test]
async fn a_rotated_key_signs_and_the_old_one_verifies_until_retired() {
    let dir = tempfile::tempdir().expect("tmp");
    let opts = InitOptions {
        demo: true,
        database_url: None,
        public_base_url: "http://127.0.0.1".into(),
        passphrase: "key rotation test".into(),
        actor: "test".into(),
        hsm: None,
    };
    let engine = init(&dir.path().join("ca"), &opts, &mut |_| {})
        .await
        .expect("CA");
    let provider = Provider::new(Arc::new(engine));

    let first = provider.keys().await.expect("keys");
    let old_token = first.sign(&json!({"sub": "s"})).expect("sign");
    let listed = provider.key_list().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].signing);

    let next = provider.rotate_key().await.expect("rotate");
    assert_eq!(next.generation, 2);
    let second = provider.keys().await.expect("keys");
    assert_eq!(second.jwks()["keys"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        second.jwks()["keys"][0]["kid"],
        next.kid.as_str(),
        "the signing key first"
    );
    let new_token = second.sign(&json!({"sub": "s"})).expect("sign");
    assert!(second.verify(&new_token).is_some());
    assert!(
        second.verify(&old_token).is_some(),
        "signed before the rotation"
    );
    assert!(
        first.verify(&new_token).is_none(),
        "the old set does not know the new key"
    );

    assert!(
        provider.retire_key(&next.kid).await.is_err(),
        "the signing key"
    );
    provider.retire_key(&listed[0].kid).await.expect("retire");
    let third = provider.keys().await.expect("keys");
    assert_eq!(third.jwks()["keys"].as_array().map(Vec::len), Some(1));
    assert!(third.verify(&old_token).is_none(), "retired");
    assert!(third.verify(&new_token).is_some());
    let audit = provider.ca().store.audit_records().await.expect("audit");
    assert_eq!(
        audit
            .iter()
            .filter(|r| r.action == "oidc.key_created")
            .count(),
        2
    );
    assert!(audit.iter().any(|r| r.action == "oidc.key_retired"));
}
