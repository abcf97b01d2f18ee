use super::*;

#[test]
fn secrets_are_unique_prefixed_and_hashed_stably() {
    let a = mint().unwrap();
    let b = mint().unwrap();
    assert_ne!(a, b);
    assert!(a.starts_with(SECRET_PREFIX));
    assert_eq!(a.len(), SECRET_PREFIX.len() + 43);
    assert_eq!(hash(&a), hash(&a));
    assert_ne!(hash(&a), hash(&b));
    assert_eq!(hash(&a).len(), 64);
    assert!(!hash(&a).contains(&a[3..]));
    assert_eq!(visible_prefix(&a), a[..VISIBLE_CHARS]);
}

/// Two stores on one file: the gateway's and another process's (the CLI's).
fn gateway_and_cli() -> (tempfile::TempDir, Arc<KeyRing>, SharedStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("keys.db").display());
    let ring = KeyRing::load(store::open(&url).unwrap()).unwrap();
    (dir, ring, store::open(&url).unwrap())
}

#[tokio::test]
async fn a_key_created_by_another_process_works_on_its_first_request() {
    let (_dir, ring, cli) = gateway_and_cli();
    let issued = create(cli.as_ref(), NewKey::default()).unwrap();
    let key = ring.authenticate(&issued.secret).await.unwrap();
    assert_eq!(key.id, issued.key.id);
    assert!(
        ring.check(&hash(&issued.secret)).is_ok(),
        "the ring now holds it"
    );
}

#[tokio::test]
async fn a_failed_lookup_is_remembered_until_the_keys_change() {
    let (_dir, ring, cli) = gateway_and_cli();
    let secret = mint().unwrap();
    assert_eq!(
        ring.authenticate(&secret).await.err(),
        Some(Refusal::Unknown)
    );
    assert_eq!(ring.misses.len(), 1);
    // The same secret appearing in the store now (a hash only this test can plant)
    // is not seen: the second refusal came from the cache, not from the database.
    cli.create_key(&NewKey::default(), &hash(&secret)).unwrap();
    assert_eq!(
        ring.authenticate(&secret).await.err(),
        Some(Refusal::Unknown)
    );
    // The ring's own refresh (every second) sees the new version and forgets misses.
    ring.refresh().unwrap();
    assert!(ring.authenticate(&secret).await.is_ok());
}

#[tokio::test]
async fn a_disabled_or_revoked_key_is_not_served_by_a_lookup() {
    let (_dir, ring, cli) = gateway_and_cli();
    let issued = create(cli.as_ref(), NewKey::default()).unwrap();
    let patch = store::KeyPatch {
        enabled: Some(false),
        ..store::KeyPatch::default()
    };
    cli.update_key(&issued.key.id, &patch).unwrap();
    assert_eq!(
        ring.authenticate(&issued.secret).await.err(),
        Some(Refusal::Disabled)
    );
    let other = create(cli.as_ref(), NewKey::default()).unwrap();
    cli.revoke_key(&other.key.id).unwrap();
    assert_eq!(
        ring.authenticate(&other.secret).await.err(),
        Some(Refusal::Unknown)
    );
}

#[test]
fn a_secret_is_stored_as_its_hex_sha256() {
    // Stored hashes must never change form: keys created by earlier versions must keep
    // working. SHA-256("abc"), from FIPS 180-2.
    assert_eq!(
        super::hash("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
