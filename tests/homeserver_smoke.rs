//! Proves the real-homeserver harness: registration, rooms, invites, joins,
//! and messages (plain, threaded, edited, redacted) round-tripping between
//! two users, in a plain and in an end-to-end encrypted room.

mod support;

use std::time::Duration;

use matrix_sdk::ruma::OwnedRoomId;
use support::{Homeserver, REPLY_TIMEOUT, TestClient};

async fn round_trip(alice: &TestClient, bob: &TestClient, room: &OwnedRoomId, encrypted: bool) {
    // A message from alice reaches bob, decrypted when the room is encrypted.
    let hello = alice.send_text(room, "hello from alice").await;
    let got = bob
        .wait_for(room, REPLY_TIMEOUT, |m| m.event_id == hello)
        .await
        .expect("bob receives alice's message");
    assert_eq!(got.sender, alice.user_id);
    assert_eq!(got.msgtype, "m.text");
    assert_eq!(got.body, "hello from alice");
    assert_eq!(got.encrypted, encrypted);
    assert_eq!(got.in_reply_to, None);
    assert_eq!(got.thread_root, None);

    // And back: bob answers in a thread on alice's message.
    let in_thread = bob
        .send_text_in_thread(room, &hello, "a thread reply")
        .await;
    let got = alice
        .wait_for_text_from(room, &bob.user_id, "a thread reply", REPLY_TIMEOUT)
        .await
        .expect("alice receives bob's thread message");
    assert_eq!(got.event_id, in_thread);
    assert_eq!(got.thread_root.as_ref(), Some(&hello));
    assert_eq!(got.in_reply_to, None, "a plain thread message is no reply");
    assert_eq!(got.encrypted, encrypted);

    // A rich reply.
    let reply = bob.send_reply(room, &hello, "a rich reply").await;
    let got = alice
        .wait_for(room, REPLY_TIMEOUT, |m| m.event_id == reply)
        .await
        .expect("alice receives bob's reply");
    assert_eq!(got.in_reply_to.as_ref(), Some(&hello));

    // Alice edits her message; bob sees the replacement.
    let edit = alice.edit(room, &hello, "hello, edited").await;
    let got = bob
        .wait_for(room, REPLY_TIMEOUT, |m| m.event_id == edit)
        .await
        .expect("bob receives the edit");
    assert_eq!(got.replaces.as_ref(), Some(&hello));
    assert_eq!(got.text(), "hello, edited");

    // Alice redacts her message; bob sees the redaction.
    alice.redact(room, &hello).await;
    assert!(
        bob.wait_for_redaction(room, &hello, REPLY_TIMEOUT).await,
        "bob sees the redaction"
    );

    // Bob said nothing after alice's last message (her edit).
    alice
        .assert_no_message_from(room, &bob.user_id, Duration::from_millis(500))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_round_trip_in_plain_and_encrypted_rooms() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let alice = hs.new_client("Alice").await;
    let bob = hs.new_client("bob").await;
    assert!(
        alice.user_id.localpart().starts_with("alice-"),
        "localparts are lower-cased: {}",
        alice.user_id
    );
    assert_ne!(alice.user_id, bob.user_id);

    let plain = alice
        .create_room("smoke plain", false, std::slice::from_ref(&bob.user_id))
        .await;
    bob.join(&plain).await;
    round_trip(&alice, &bob, &plain, false).await;

    let secret = alice
        .create_room("smoke encrypted", true, std::slice::from_ref(&bob.user_id))
        .await;
    bob.join(&secret).await;
    round_trip(&alice, &bob, &secret, true).await;
}
