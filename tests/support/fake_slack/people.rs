//! What the people in the fake workspace do: post, edit, delete, react, run
//! slash commands. Each emits the events Slack would send the bot.

use std::time::Duration;

use serde_json::Value;

use super::state::{self, Msg};
use super::{BOT_USER, FakeSlack, events, methods, socket};

impl FakeSlack {
    /// `user` posts `text` (wire text) in `channel`, in `thread_ts`'s thread if
    /// given. Returns its ts. Emits `message`, and `app_mention` too when the
    /// text mentions the bot anywhere (`<@UBOT>` or `<@UBOT|name>`; not in a DM),
    /// if the bot is in the channel. `user` must be a member of `channel`.
    pub async fn post(
        &self,
        user: &str,
        channel: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> String {
        let mut st = self.st();
        let ch = st
            .channels
            .get(channel)
            .unwrap_or_else(|| panic!("fake slack: no channel {channel}"));
        assert!(
            ch.members.contains(user),
            "fake slack: {user} is not in {channel}"
        );
        if let Some(root) = thread_ts {
            let ok = ch.messages.get(root).is_some_and(Msg::is_top_level);
            assert!(
                ok,
                "fake slack: {root} is not a top-level message of {channel}"
            );
        }
        let ts = st.next_ts();
        let msg = Msg {
            ts: ts.clone(),
            user: user.into(),
            bot: false,
            text: text.into(),
            blocks: Value::Null,
            thread_ts: thread_ts.map(str::to_string),
            deleted: false,
            edits: 0,
            metadata: Value::Null,
        };
        let ch = st.channels.get_mut(channel).expect("checked");
        let parent = ch.parent_user(thread_ts);
        let view = events::Msg {
            user,
            bot: false,
            text,
            blocks: &Value::Null,
            ts: &ts,
            thread_ts,
            parent_user: parent.as_deref(),
        };
        let message = events::message(channel, &view);
        // Like Slack: a mention anywhere in the text, and never in a DM.
        let mention = (!channel.starts_with('D')
            && (text.contains(&format!("<@{BOT_USER}>"))
                || text.contains(&format!("<@{BOT_USER}|"))))
        .then(|| events::app_mention(channel, &view));
        ch.messages.insert(ts.clone(), msg);
        methods::emit_in(&self.inner, &mut st, channel, message);
        if let Some(mention) = mention {
            methods::emit_in(&self.inner, &mut st, channel, mention);
        }
        ts
    }

    /// `user` edits their message `ts` to `text`: emits `message_changed`.
    pub async fn edit(&self, user: &str, channel: &str, ts: &str, text: &str) {
        let mut st = self.st();
        let event_ts = st.next_ts();
        let ch = st
            .channels
            .get_mut(channel)
            .unwrap_or_else(|| panic!("fake slack: no channel {channel}"));
        let parent = ch.parent_user(ch.messages.get(ts).and_then(|m| m.thread_ts.as_deref()));
        let m = ch
            .messages
            .get_mut(ts)
            .filter(|m| !m.deleted)
            .unwrap_or_else(|| panic!("fake slack: no message {ts} in {channel}"));
        assert_eq!(
            m.user, user,
            "fake slack: {user} cannot edit a message of {}",
            m.user
        );
        let before_text = std::mem::replace(&mut m.text, text.to_string());
        m.edits += 1;
        let thread_ts = m.thread_ts.clone();
        let now = events::Msg {
            user,
            bot: false,
            text,
            blocks: &Value::Null,
            ts,
            thread_ts: thread_ts.as_deref(),
            parent_user: parent.as_deref(),
        };
        let before = events::Msg {
            text: &before_text,
            ..now
        };
        let event = events::message_changed(channel, &event_ts, &now, &before, user);
        methods::emit_in(&self.inner, &mut st, channel, event);
    }

    /// Message `ts` is deleted (by its author or an admin): emits `message_deleted`, or, as
    /// Slack does for a message with thread replies, a `message_changed` to a Slackbot
    /// placeholder ("tombstone").
    pub async fn delete(&self, channel: &str, ts: &str) {
        let mut st = self.st();
        let event_ts = st.next_ts();
        let ch = st
            .channels
            .get_mut(channel)
            .unwrap_or_else(|| panic!("fake slack: no channel {channel}"));
        let parent = ch.parent_user(ch.messages.get(ts).and_then(|m| m.thread_ts.as_deref()));
        let has_replies = ch
            .messages
            .iter()
            .any(|(reply, m)| reply != ts && m.thread_ts.as_deref() == Some(ts));
        let m = ch
            .messages
            .get_mut(ts)
            .filter(|m| !m.deleted)
            .unwrap_or_else(|| panic!("fake slack: no message {ts} in {channel}"));
        m.deleted = true;
        let view = events::Msg {
            user: &m.user,
            bot: m.bot,
            text: &m.text,
            blocks: &m.blocks,
            ts,
            thread_ts: m.thread_ts.as_deref().filter(|t| *t != ts),
            parent_user: parent.as_deref(),
        };
        let event = if has_replies {
            events::tombstone(channel, &event_ts, &view)
        } else {
            events::message_deleted(channel, &event_ts, &view)
        };
        methods::emit_in(&self.inner, &mut st, channel, event);
    }

    /// `user` adds `reaction` (e.g. `+1`, `-1`, `+1::skin-tone-2`) to message `ts`.
    pub async fn react(&self, user: &str, channel: &str, ts: &str, reaction: &str) {
        self.reaction(true, user, channel, ts, reaction);
    }

    pub async fn unreact(&self, user: &str, channel: &str, ts: &str, reaction: &str) {
        self.reaction(false, user, channel, ts, reaction);
    }

    fn reaction(&self, added: bool, user: &str, channel: &str, ts: &str, reaction: &str) {
        let mut st = self.st();
        let event_ts = st.next_ts();
        let ch = st
            .channels
            .get(channel)
            .unwrap_or_else(|| panic!("fake slack: no channel {channel}"));
        assert!(
            ch.members.contains(user),
            "fake slack: {user} is not in {channel}"
        );
        let m = ch
            .messages
            .get(ts)
            .unwrap_or_else(|| panic!("fake slack: no message {ts} in {channel}"));
        let event = events::reaction(
            added,
            user,
            reaction,
            channel,
            ts,
            &m.user.clone(),
            &event_ts,
        );
        methods::emit_in(&self.inner, &mut st, channel, event);
    }

    /// `user` runs `command` (e.g. `/context`) with `text` in `channel`: sends a
    /// `slash_commands` envelope and waits for its ack. Returns the ack's
    /// `payload`, or `Value::Null` if it had none or came too late (recorded as
    /// a violation). Panics if no connection took it within 30 s.
    pub async fn slash(&self, user: &str, channel: &str, command: &str, text: &str) -> Value {
        let rx = {
            let mut st = self.st();
            let n = st.next_id();
            let response_url = format!("http://{}/commands/{n}", self.inner.api_addr);
            st.response_urls.insert(format!("/commands/{n}"), 0);
            let trigger_id = format!(
                "{n}.{}.{:x}",
                state::unix_secs(),
                n.wrapping_mul(0x2545_f491_4f6c_dd1d)
            );
            let user_name = st
                .users
                .get(user)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| user.to_string());
            let channel_name = match st.channels.get(channel) {
                Some(_) if channel.starts_with('D') => "directmessage".to_string(),
                Some(c) => c.name.clone(),
                None => panic!("fake slack: no channel {channel}"),
            };
            let payload = events::slash_payload(&events::Slash {
                user,
                user_name: &user_name,
                channel,
                channel_name: &channel_name,
                command,
                text,
                response_url: &response_url,
                trigger_id: &trigger_id,
            });
            let (tx, rx) = tokio::sync::oneshot::channel();
            let id = socket::emit_slash(&self.inner, &mut st, &payload);
            st.slash_waiters.insert(id, tx);
            rx
        };
        match tokio::time::timeout(Duration::from_secs(30), rx).await {
            Ok(Ok(payload)) => payload,
            _ => panic!(
                "fake slack: slash command {command} was not delivered (no Socket Mode connection?)"
            ),
        }
    }
}
