//! A scripted Matrix user for integration tests, built on matrix-sdk: logs in
//! with a password, keeps its own SQLite store (state and crypto) in a temp
//! dir, syncs in a background task, and records every `m.room.message` and
//! redaction it sees so tests can wait for the bot's answers. Encrypted rooms
//! work: the client uploads its device keys on login and decrypts with
//! matrix-sdk's default E2EE.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::event_handler::RawEvent;
use matrix_sdk::room::Room;
use matrix_sdk::ruma::api::client::room::create_room::v3::{
    Request as CreateRoomRequest, RoomPreset,
};
use matrix_sdk::ruma::events::InitialStateEvent;
use matrix_sdk::ruma::events::relation::{InReplyTo, Thread};
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::message::{
    OriginalSyncRoomMessageEvent, Relation, ReplacementMetadata, RoomMessageEventContent,
    RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::events::room::redaction::SyncRoomRedactionEvent;
use matrix_sdk::ruma::{EventId, OwnedEventId, OwnedRoomId, OwnedUserId, RoomId, UserId};
use matrix_sdk::{Client, encryption::EncryptionSettings};
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::homeserver::Homeserver;

/// One `m.room.message` as this client received it (decrypted when it came
/// from an encrypted room).
#[derive(Clone, Debug)]
pub struct ReceivedMessage {
    pub room_id: OwnedRoomId,
    pub event_id: OwnedEventId,
    pub sender: OwnedUserId,
    /// `m.text`, `m.notice`, `m.emote`, ...
    pub msgtype: String,
    /// `body`; for an edit this is the fallback (`* new text`), see `new_body`.
    pub body: String,
    pub formatted_body: Option<String>,
    /// The event this one genuinely replies to (`m.in_reply_to`, but not the
    /// fallback that plain thread messages carry).
    pub in_reply_to: Option<OwnedEventId>,
    /// The thread root when the event is in a thread (`rel_type: m.thread`).
    pub thread_root: Option<OwnedEventId>,
    /// The event this one edits (`rel_type: m.replace`).
    pub replaces: Option<OwnedEventId>,
    /// `m.new_content.body` of an edit.
    pub new_body: Option<String>,
    /// `m.new_content.formatted_body` of an edit.
    pub new_formatted_body: Option<String>,
    /// Whether the event arrived encrypted.
    pub encrypted: bool,
    pub origin_server_ts: u64,
    /// The whole (decrypted) `content`, for anything not lifted out above
    /// (`m.mentions`, `format`, ...).
    pub content: Value,
}

impl ReceivedMessage {
    /// The text a reader sees now: the new body for an edit, else the body.
    pub fn text(&self) -> &str {
        self.new_body.as_deref().unwrap_or(&self.body)
    }

    fn from_event(
        room_id: OwnedRoomId,
        ev: &OriginalSyncRoomMessageEvent,
        raw: &RawEvent,
        encrypted: bool,
    ) -> Self {
        let json: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
        let content = json.get("content").cloned().unwrap_or(Value::Null);
        let str_at = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        let id_at = |v: &Value, key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .and_then(|s| OwnedEventId::try_from(s).ok())
        };
        let relates = content.get("m.relates_to").cloned().unwrap_or(Value::Null);
        let rel_type = str_at(&relates, "rel_type");
        let thread_root = match rel_type.as_deref() {
            Some("m.thread") => id_at(&relates, "event_id"),
            _ => None,
        };
        let replaces = match rel_type.as_deref() {
            Some("m.replace") => id_at(&relates, "event_id"),
            _ => None,
        };
        let falling_back = thread_root.is_some()
            && relates.get("is_falling_back").and_then(Value::as_bool) == Some(true);
        let in_reply_to = if falling_back {
            None
        } else {
            relates
                .get("m.in_reply_to")
                .and_then(|r| id_at(r, "event_id"))
        };
        let new_content = content.get("m.new_content").cloned().unwrap_or(Value::Null);
        ReceivedMessage {
            room_id,
            event_id: ev.event_id.clone(),
            sender: ev.sender.clone(),
            msgtype: str_at(&content, "msgtype").unwrap_or_default(),
            body: str_at(&content, "body").unwrap_or_default(),
            formatted_body: str_at(&content, "formatted_body"),
            in_reply_to,
            thread_root,
            replaces,
            new_body: if replaces_present(&rel_type) {
                str_at(&new_content, "body")
            } else {
                None
            },
            new_formatted_body: if replaces_present(&rel_type) {
                str_at(&new_content, "formatted_body")
            } else {
                None
            },
            encrypted,
            origin_server_ts: ev.origin_server_ts.get().into(),
            content,
        }
    }
}

fn replaces_present(rel_type: &Option<String>) -> bool {
    rel_type.as_deref() == Some("m.replace")
}

#[derive(Default)]
struct Recorded {
    /// Messages per room, in the order the sync delivered them.
    messages: HashMap<OwnedRoomId, Vec<ReceivedMessage>>,
    /// Redacted event ids per room.
    redacted: HashMap<OwnedRoomId, HashSet<OwnedEventId>>,
    /// Encrypted events this client could not decrypt, per room (diagnostics).
    undecryptable: HashMap<OwnedRoomId, Vec<OwnedEventId>>,
    /// The last event this client sent in each room.
    last_sent: HashMap<OwnedRoomId, OwnedEventId>,
}

struct Shared {
    recorded: Mutex<Recorded>,
    /// Bumped on every recorded event; waiters watch it.
    changed: watch::Sender<u64>,
}

impl Shared {
    fn record(&self, f: impl FnOnce(&mut Recorded)) {
        f(&mut self.recorded.lock().expect("recorder lock"));
        self.changed.send_modify(|n| *n += 1);
    }
}

/// A logged-in Matrix user that syncs in the background.
pub struct TestClient {
    /// The underlying matrix-sdk client, for anything the helpers lack.
    pub client: Client,
    pub user_id: OwnedUserId,
    pub password: String,
    shared: Arc<Shared>,
    sync_task: JoinHandle<()>,
    _store: tempfile::TempDir,
}

impl Drop for TestClient {
    fn drop(&mut self) {
        self.sync_task.abort();
    }
}

impl TestClient {
    /// Logs in with a password, syncs once (uploading device keys) and
    /// starts the background sync loop.
    pub async fn login(hs: &Homeserver, user_id: &UserId, password: &str) -> TestClient {
        let store = tempfile::tempdir().expect("creating the client's store dir");
        let client = Client::builder()
            .homeserver_url(&hs.url)
            // Synapse's login answer names its public URL; following it would take a
            // client given a proxy's URL (`late_keys.rs`) around the proxy.
            .respect_login_well_known(false)
            .sqlite_store(store.path(), None)
            .with_encryption_settings(EncryptionSettings {
                auto_enable_cross_signing: false,
                ..Default::default()
            })
            .build()
            .await
            .expect("building the matrix-sdk client");
        client
            .matrix_auth()
            .login_username(user_id.as_str(), password)
            .initial_device_display_name("copydesk integration test")
            .send()
            .await
            .unwrap_or_else(|e| panic!("logging in as {user_id}: {e}"));

        let (changed, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            recorded: Mutex::new(Recorded::default()),
            changed,
        });
        install_handlers(&client, &shared);

        client
            .sync_once(SyncSettings::default().timeout(Duration::ZERO))
            .await
            .unwrap_or_else(|e| panic!("first sync of {user_id}: {e}"));

        let sync_client = client.clone();
        let sync_task = tokio::spawn(async move {
            let settings = SyncSettings::default().timeout(Duration::from_secs(10));
            loop {
                if let Err(e) = sync_client.sync_once(settings.clone()).await {
                    // The homeserver may be restarting (recovery test): retry.
                    tracing::debug!("test client sync failed, retrying: {e}");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        });

        TestClient {
            client,
            user_id: user_id.to_owned(),
            password: password.to_owned(),
            shared,
            sync_task,
            _store: store,
        }
    }

    /// Stops the background sync: the client can still send to rooms it knows, but
    /// receives nothing more. For load generators, whose senders need not read.
    pub fn stop_syncing(&self) {
        self.sync_task.abort();
    }

    fn room(&self, room_id: &RoomId) -> Room {
        self.client
            .get_room(room_id)
            .unwrap_or_else(|| panic!("{} does not know room {room_id}", self.user_id))
    }

    /// Creates a private room (invitees may join), optionally encrypted from
    /// the start, inviting `invite`.
    pub async fn create_room(
        &self,
        name: &str,
        encrypted: bool,
        invite: &[OwnedUserId],
    ) -> OwnedRoomId {
        let mut request = CreateRoomRequest::new();
        request.name = Some(name.to_owned());
        request.preset = Some(RoomPreset::PrivateChat);
        request.invite = invite.to_vec();
        if encrypted {
            request.initial_state = vec![
                InitialStateEvent::with_empty_state_key(
                    RoomEncryptionEventContent::with_recommended_defaults(),
                )
                .to_raw_any(),
            ];
        }
        let room = self
            .client
            .create_room(request)
            .await
            .unwrap_or_else(|e| panic!("{} creating room {name:?}: {e}", self.user_id));
        room.room_id().to_owned()
    }

    /// Invites a user into a room this client is in.
    pub async fn invite(&self, room_id: &RoomId, user_id: &UserId) {
        self.room(room_id)
            .invite_user_by_id(user_id)
            .await
            .unwrap_or_else(|e| panic!("{} inviting {user_id} to {room_id}: {e}", self.user_id));
    }

    /// Joins a room (after an invite, or a public one).
    pub async fn join(&self, room_id: &RoomId) {
        self.client
            .join_room_by_id(room_id)
            .await
            .unwrap_or_else(|e| panic!("{} joining {room_id}: {e}", self.user_id));
    }

    /// Leaves a room.
    pub async fn leave(&self, room_id: &RoomId) {
        self.room(room_id)
            .leave()
            .await
            .unwrap_or_else(|e| panic!("{} leaving {room_id}: {e}", self.user_id));
    }

    /// Sends any `m.room.message` content; returns its event id.
    pub async fn send(&self, room_id: &RoomId, content: RoomMessageEventContent) -> OwnedEventId {
        let result = self
            .room(room_id)
            .send(content)
            .await
            .unwrap_or_else(|e| panic!("{} sending to {room_id}: {e}", self.user_id));
        let event_id = result.response.event_id;
        let id = event_id.clone();
        self.shared.record(|r| {
            r.last_sent.insert(room_id.to_owned(), id);
        });
        event_id
    }

    /// Sends a plain-text `m.text` message.
    pub async fn send_text(&self, room_id: &RoomId, body: &str) -> OwnedEventId {
        self.send(room_id, RoomMessageEventContent::text_plain(body))
            .await
    }

    /// Sends an `m.text` message with an HTML body.
    pub async fn send_html(&self, room_id: &RoomId, body: &str, html: &str) -> OwnedEventId {
        self.send(room_id, RoomMessageEventContent::text_html(body, html))
            .await
    }

    /// Sends a plain-text message into the thread rooted at `thread_root`
    /// (not a reply within the thread: `m.in_reply_to` is the fallback).
    pub async fn send_text_in_thread(
        &self,
        room_id: &RoomId,
        thread_root: &EventId,
        body: &str,
    ) -> OwnedEventId {
        let mut content = RoomMessageEventContent::text_plain(body);
        content.relates_to = Some(Relation::Thread(Thread::plain(
            thread_root.to_owned(),
            thread_root.to_owned(),
        )));
        self.send(room_id, content).await
    }

    /// Sends a plain-text rich reply (`m.in_reply_to`) to `reply_to`.
    pub async fn send_reply(
        &self,
        room_id: &RoomId,
        reply_to: &EventId,
        body: &str,
    ) -> OwnedEventId {
        let mut content = RoomMessageEventContent::text_plain(body);
        content.relates_to = Some(Relation::Reply(
            matrix_sdk::ruma::events::relation::Reply::new(InReplyTo::new(reply_to.to_owned())),
        ));
        self.send(room_id, content).await
    }

    /// Edits (`m.replace`) one of this client's messages; returns the edit's id.
    pub async fn edit(&self, room_id: &RoomId, event_id: &EventId, new_body: &str) -> OwnedEventId {
        let content = RoomMessageEventContentWithoutRelation::text_plain(new_body)
            .make_replacement(ReplacementMetadata::new(event_id.to_owned(), None));
        self.send(room_id, content).await
    }

    /// Redacts an event.
    pub async fn redact(&self, room_id: &RoomId, event_id: &EventId) {
        self.room(room_id)
            .redact(event_id, None, None)
            .await
            .unwrap_or_else(|e| panic!("{} redacting {event_id}: {e}", self.user_id));
    }

    /// Every message received in `room_id` so far, in sync order.
    pub fn messages(&self, room_id: &RoomId) -> Vec<ReceivedMessage> {
        let recorded = self.shared.recorded.lock().expect("recorder lock");
        recorded.messages.get(room_id).cloned().unwrap_or_default()
    }

    /// Waits until a message in `room_id` satisfies `predicate`; messages
    /// received before the call count too (so a fast answer is never
    /// missed — make predicates specific, e.g. by sender and `in_reply_to`).
    /// Returns `None` on timeout, after printing what did arrive.
    pub async fn wait_for(
        &self,
        room_id: &RoomId,
        timeout: Duration,
        predicate: impl Fn(&ReceivedMessage) -> bool,
    ) -> Option<ReceivedMessage> {
        let found = self
            .wait_until(timeout, |r| {
                r.messages
                    .get(room_id)
                    .and_then(|msgs| msgs.iter().find(|m| predicate(m)).cloned())
            })
            .await;
        if found.is_none() {
            self.dump(room_id, "wait_for timed out");
        }
        found
    }

    /// Waits for a message from `sender` in `room_id` whose text contains `needle`.
    pub async fn wait_for_text_from(
        &self,
        room_id: &RoomId,
        sender: &UserId,
        needle: &str,
        timeout: Duration,
    ) -> Option<ReceivedMessage> {
        self.wait_for(room_id, timeout, |m| {
            m.sender == sender && m.text().contains(needle)
        })
        .await
    }

    /// Panics if a message from `sender` shows up in `room_id` within
    /// `quiet`: counts messages after the last one this client sent in the
    /// room (in timeline order), or, if it sent none, after the call.
    pub async fn assert_no_message_from(&self, room_id: &RoomId, sender: &UserId, quiet: Duration) {
        let deadline = tokio::time::Instant::now() + quiet;
        let (last_sent, count_now) = {
            let r = self.shared.recorded.lock().expect("recorder lock");
            (
                r.last_sent.get(room_id).cloned(),
                r.messages.get(room_id).map_or(0, Vec::len),
            )
        };
        // Everything after our own last message (once the sync has it) or,
        // failing that, everything from now on.
        let start_index = |r: &Recorded| -> usize {
            let msgs = r.messages.get(room_id);
            match (&last_sent, msgs) {
                (Some(id), Some(msgs)) => msgs
                    .iter()
                    .position(|m| &m.event_id == id)
                    .map_or(count_now, |i| i + 1)
                    .min(count_now),
                _ => count_now,
            }
        };
        let offending = self
            .wait_until(quiet, |r| {
                let msgs = r.messages.get(room_id)?;
                msgs.iter()
                    .skip(start_index(r))
                    .find(|m| m.sender == sender)
                    .cloned()
            })
            .await;
        if let Some(m) = offending {
            self.dump(room_id, "unexpected message");
            panic!(
                "expected no message from {sender} in {room_id} for {quiet:?}, got {} {:?}",
                m.event_id,
                m.text()
            );
        }
        tokio::time::sleep_until(deadline).await;
    }

    /// Waits until this client has seen `event_id` redacted in `room_id`.
    pub async fn wait_for_redaction(
        &self,
        room_id: &RoomId,
        event_id: &EventId,
        timeout: Duration,
    ) -> bool {
        self.wait_until(timeout, |r| {
            r.redacted
                .get(room_id)
                .filter(|set| set.contains(event_id))
                .map(|_| ())
        })
        .await
        .is_some()
    }

    /// Polls `check` against the recorded events whenever something new is
    /// recorded, until it returns `Some` or `timeout` passes.
    async fn wait_until<T>(
        &self,
        timeout: Duration,
        check: impl Fn(&Recorded) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.shared.changed.subscribe();
        loop {
            changes.borrow_and_update();
            if let Some(found) = check(&self.shared.recorded.lock().expect("recorder lock")) {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) | Err(_) => {
                    // One last look: an event may have landed right at the deadline.
                    return check(&self.shared.recorded.lock().expect("recorder lock"));
                }
            }
        }
    }

    fn dump(&self, room_id: &RoomId, why: &str) {
        let r = self.shared.recorded.lock().expect("recorder lock");
        eprintln!("--- {why}: what {} received in {room_id}:", self.user_id);
        for m in r.messages.get(room_id).into_iter().flatten() {
            eprintln!(
                "  {} from {} [{}{}] {:?} reply_to={:?} thread={:?} replaces={:?}",
                m.event_id,
                m.sender,
                m.msgtype,
                if m.encrypted { ", encrypted" } else { "" },
                m.text(),
                m.in_reply_to,
                m.thread_root,
                m.replaces
            );
        }
        if let Some(utd) = r.undecryptable.get(room_id) {
            eprintln!("  undecryptable events: {utd:?}");
        }
        if let Some(red) = r.redacted.get(room_id) {
            eprintln!("  redacted: {red:?}");
        }
    }
}

fn install_handlers(client: &Client, shared: &Arc<Shared>) {
    let s = shared.clone();
    client.add_event_handler(
        move |ev: OriginalSyncRoomMessageEvent,
              room: Room,
              raw: RawEvent,
              encryption: Option<matrix_sdk::deserialized_responses::EncryptionInfo>| {
            let s = s.clone();
            async move {
                let room_id = room.room_id().to_owned();
                let message =
                    ReceivedMessage::from_event(room_id.clone(), &ev, &raw, encryption.is_some());
                s.record(|r| r.messages.entry(room_id).or_default().push(message));
            }
        },
    );

    let s = shared.clone();
    client.add_event_handler(
        move |_ev: SyncRoomRedactionEvent, room: Room, raw: RawEvent| {
            let s = s.clone();
            async move {
                let json: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                let redacts = json
                    .get("redacts")
                    .or_else(|| json.get("content").and_then(|c| c.get("redacts")))
                    .and_then(Value::as_str)
                    .and_then(|s| OwnedEventId::try_from(s).ok());
                if let Some(id) = redacts {
                    let room_id = room.room_id().to_owned();
                    s.record(|r| {
                        r.redacted.entry(room_id).or_default().insert(id);
                    });
                }
            }
        },
    );

    let s = shared.clone();
    client.add_event_handler(move |ev: OriginalSyncRoomEncryptedEvent, room: Room| {
        let s = s.clone();
        async move {
            let room_id = room.room_id().to_owned();
            s.record(|r| {
                r.undecryptable
                    .entry(room_id)
                    .or_default()
                    .push(ev.event_id)
            });
        }
    });
}
