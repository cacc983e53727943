//! Invites: join when an allowed user invites the bot, refuse (and log) everyone else.

use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::event_handler::Ctx;
use matrix_sdk::ruma::UserId;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::{Room, RoomState};

use super::Bot;
use super::retry;

/// Give up joining a room after this long: the invite was probably withdrawn.
const JOIN_PATIENCE: Duration = Duration::from_secs(60 * 60);

/// An invite arrives as stripped state of a room the bot is not in yet.
pub async fn on_stripped_member(event: StrippedRoomMemberEvent, room: Room, bot: Ctx<Arc<Bot>>) {
    if event.state_key != bot.own || event.content.membership != MembershipState::Invite {
        return;
    }
    consider(&bot, room, &event.sender).await;
}

/// Invites that were pending before this start (the bot may have stopped mid-join).
pub async fn consider_pending(bot: &Arc<Bot>) {
    for room in bot.client.invited_rooms() {
        match room.invite_details().await {
            Ok(invite) => consider(bot, room, &invite.inviter_id).await,
            Err(error) => {
                tracing::warn!(room = %room.room_id(), %error, "cannot read a pending invite")
            }
        }
    }
}

/// Whether `inviter` may bring the bot into a room: listed under `matrix.autojoin.users`
/// or `rooms.editors`, or on a server listed under `matrix.autojoin.servers`.
pub fn may_invite(bot: &Bot, inviter: &UserId) -> bool {
    bot.autojoin.users.iter().any(|u| u == inviter)
        || bot.editors.iter().any(|u| u == inviter)
        || bot
            .autojoin
            .servers
            .iter()
            .any(|s| s == inviter.server_name())
}

async fn consider(bot: &Arc<Bot>, room: Room, inviter: &UserId) {
    if room.state() != RoomState::Invited {
        return;
    }
    if !may_invite(bot, inviter) {
        tracing::warn!(room = %room.room_id(), %inviter, "refusing an invite from a user not allowed to invite the bot");
        if let Err(error) = room.leave().await {
            tracing::warn!(room = %room.room_id(), %error, "could not reject the invite");
        }
        return;
    }
    tracing::info!(room = %room.room_id(), %inviter, "invited; joining");
    // Protocol trap: the invite can reach us before the inviter's homeserver will let us
    // join (synapse#4345), and a homeserver may be briefly unreachable. Join in a task,
    // so the sync loop is not held up, and retry with back-off.
    tokio::spawn(join_with_backoff(room));
}

async fn join_with_backoff(room: Room) {
    let started = tokio::time::Instant::now();
    let mut failures = 0;
    loop {
        let error = match room.join().await {
            Ok(()) => {
                tracing::info!(room = %room.room_id(), "joined");
                return;
            }
            Err(error) => error,
        };
        if room.state() != RoomState::Invited {
            tracing::info!(room = %room.room_id(), state = ?room.state(), "no longer invited; not joining");
            return;
        }
        let delay = retry::delay_after(&error, failures).max(Duration::from_secs(1));
        if started.elapsed() + delay > JOIN_PATIENCE {
            tracing::error!(room = %room.room_id(), %error, "giving up joining");
            return;
        }
        tracing::warn!(room = %room.room_id(), %error, ?delay, "joining failed; retrying");
        failures += 1;
        tokio::time::sleep(delay).await;
    }
}
