//! One lane per room: the ordering rule of the lifecycle (see the module above) as a
//! task per room with its own queue.
//!
//! A handler may leave part of its work [`Unfinished`]: the send of a warning, once the
//! decision to warn is made and recorded. The lane goes on with the room's next events
//! while that send is under way, unless the next event
//! [`needs everything before it finished`](InOrder::needs_earlier_finished). A room's
//! warnings are then not sent one round trip after the other, which a slow homeserver
//! would turn into a queue.
//!
//! A lane is started by the first event for its room. A lane with nothing queued, in hand
//! or unfinished for a while is retired, so rooms the bot has left, or that fell quiet,
//! cost nothing; the next event for such a room starts a new lane. Retiring only a lane
//! with nothing left to do is what keeps the order: the old lane has finished everything
//! before the new one can start.

use std::collections::HashMap;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::{JoinError, JoinHandle, JoinSet};
use tokio::time::Instant;

/// What a handler leaves to finish after it returns, while its lane goes on.
pub type Unfinished = Pin<Box<dyn Future<Output = ()> + Send>>;

/// How many unfinished parts one lane lets run at once; past that it waits for one to
/// end before handling the next event. A bound, not a tuning knob: a room would need
/// this many warnings in flight at once (at 1 s per send, 16 warnings a second).
const MAX_UNFINISHED: usize = 16;

/// An event's place in its room's order.
pub trait InOrder {
    /// Whether this event may only be handled once everything before it in its room is
    /// finished, unfinished parts included. Otherwise it waits only until the earlier
    /// events have been handled.
    fn needs_earlier_finished(&self) -> bool;
}

/// The lanes, by key (a room id). Owned by one task, the dispatcher: only it routes
/// events and retires lanes, so no lock is needed around the map.
pub struct Lanes<K, T, H> {
    lanes: HashMap<K, Lane<T>>,
    handler: Arc<H>,
}

struct Lane<T> {
    queue: UnboundedSender<T>,
    /// Events routed to this lane and not finished yet (queued, in hand, or unfinished).
    pending: Arc<AtomicUsize>,
    last_routed: Instant,
    task: JoinHandle<()>,
}

impl<K, T, H, F> Lanes<K, T, H>
where
    K: Eq + Hash + Clone,
    T: InOrder + Send + 'static,
    H: Fn(T) -> F + Send + Sync + 'static,
    F: Future<Output = Option<Unfinished>> + Send + 'static,
{
    /// Lanes that each run `handler` on their events, one at a time.
    pub fn new(handler: H) -> Self {
        Lanes {
            lanes: HashMap::new(),
            handler: Arc::new(handler),
        }
    }

    /// Queues `item` on the lane for `key`, starting the lane if there is none.
    pub fn route(&mut self, key: K, item: T) {
        let lane = match self.lanes.get_mut(&key) {
            // A lane whose task has ended (it cannot, short of the runtime shutting
            // down) is replaced rather than fed.
            Some(lane) if !lane.queue.is_closed() => lane,
            _ => {
                let lane = Lane::start(self.handler.clone());
                self.lanes.insert(key.clone(), lane);
                self.lanes.get_mut(&key).expect("just inserted")
            }
        };
        lane.pending.fetch_add(1, Ordering::AcqRel);
        lane.last_routed = Instant::now();
        if lane.queue.send(item).is_err() {
            // Unreachable: the lane's task holds its receiver until its queue closes.
            lane.pending.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Retires the lanes that have nothing left to do and had no new event for `idle`.
    /// Their tasks end on their own once their queue closes.
    pub fn retire_idle(&mut self, idle: Duration) {
        let before = self.lanes.len();
        self.lanes.retain(|_, lane| {
            !lane.queue.is_closed()
                && (lane.pending.load(Ordering::Acquire) > 0 || lane.last_routed.elapsed() < idle)
        });
        if self.lanes.len() < before {
            tracing::debug!(
                retired = before - self.lanes.len(),
                open = self.lanes.len(),
                "retired idle room lanes"
            );
        }
    }

    /// How many lanes are open.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lanes.len()
    }

    /// Closes every lane and waits until each has finished everything queued on it.
    pub async fn finish(self) {
        let tasks: Vec<JoinHandle<()>> = self.lanes.into_values().map(|lane| lane.task).collect();
        // The queues closed as their senders went with the map; each task drains its own.
        for task in tasks {
            let _ = task.await;
        }
    }
}

/// One event counted in its lane's `pending` until this is dropped: when the event is
/// finished, or its handler (or unfinished part) panicked.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<T: InOrder + Send + 'static> Lane<T> {
    fn start<H, F>(handler: Arc<H>) -> Lane<T>
    where
        H: Fn(T) -> F + Send + Sync + 'static,
        F: Future<Output = Option<Unfinished>> + Send + 'static,
    {
        let (queue, mut inbox) = unbounded_channel::<T>();
        let pending = Arc::new(AtomicUsize::new(0));
        let counter = pending.clone();
        let task = tokio::spawn(async move {
            let mut unfinished = JoinSet::new();
            while let Some(item) = inbox.recv().await {
                let counted = Counted(counter.clone());
                while let Some(done) = unfinished.try_join_next() {
                    report_panic(done);
                }
                if item.needs_earlier_finished() || unfinished.len() >= MAX_UNFINISHED {
                    let all = item.needs_earlier_finished();
                    while let Some(done) = unfinished.join_next().await {
                        report_panic(done);
                        if !all {
                            break;
                        }
                    }
                }
                // Each event in a task of its own: a handler that panics loses that one
                // event, not the lane (and with it every later event of the room).
                match tokio::spawn(handler(item)).await {
                    Ok(Some(rest)) => {
                        unfinished.spawn(async move {
                            rest.await;
                            drop(counted);
                        });
                    }
                    Ok(None) => drop(counted),
                    Err(error) => report_panic(Err(error)),
                }
            }
            while let Some(done) = unfinished.join_next().await {
                report_panic(done);
            }
        });
        Lane {
            queue,
            pending,
            last_routed: Instant::now(),
            task,
        }
    }
}

fn report_panic(done: Result<(), JoinError>) {
    if let Err(error) = done
        && error.is_panic()
    {
        tracing::error!("handling an event panicked; going on with the next");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::sync::{Notify, oneshot};

    /// A test event: its room, its number, and whether it refers to earlier ones.
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Event {
        room: char,
        n: u32,
        refers_back: bool,
    }

    impl InOrder for Event {
        fn needs_earlier_finished(&self) -> bool {
            self.refers_back
        }
    }

    impl InOrder for char {
        fn needs_earlier_finished(&self) -> bool {
            false
        }
    }

    fn event(room: char, n: u32) -> Event {
        Event {
            room,
            n,
            refers_back: false,
        }
    }

    type Log = Arc<Mutex<Vec<(char, u32)>>>;

    #[tokio::test]
    async fn a_rooms_events_are_handled_in_order() {
        let log: Log = Arc::default();
        let handled = log.clone();
        // Lower numbers take longer, to tempt a reordering.
        let mut lanes = Lanes::new(move |e: Event| {
            let handled = handled.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(u64::from(10 - e.n % 10))).await;
                handled.lock().unwrap().push((e.room, e.n));
                None
            }
        });
        for n in 0..30 {
            for room in ['a', 'b', 'c'] {
                lanes.route(room, event(room, n));
            }
        }
        assert_eq!(lanes.len(), 3);
        lanes.finish().await;
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 90, "finish handles everything queued");
        for room in ['a', 'b', 'c'] {
            let order: Vec<u32> = log
                .iter()
                .filter(|(r, _)| *r == room)
                .map(|(_, n)| *n)
                .collect();
            assert_eq!(order, (0..30).collect::<Vec<_>>(), "room {room}");
        }
    }

    #[tokio::test]
    async fn rooms_do_not_wait_for_each_other() {
        // Room a's first event waits for room b's; with one queue for both it never ends.
        let (release, released) = oneshot::channel::<()>();
        let released = Arc::new(Mutex::new(Some(released)));
        let release = Arc::new(Mutex::new(Some(release)));
        let mut lanes = Lanes::new(move |room: char| {
            let (released, release) = (released.clone(), release.clone());
            async move {
                if room == 'a' {
                    let waiting = released.lock().unwrap().take().unwrap();
                    waiting.await.unwrap();
                } else {
                    release.lock().unwrap().take().unwrap().send(()).unwrap();
                }
                None
            }
        });
        lanes.route('a', 'a');
        lanes.route('b', 'b');
        tokio::time::timeout(Duration::from_secs(5), lanes.finish())
            .await
            .expect("room b's event is handled while room a's waits");
    }

    /// Each event's unfinished part waits until all three have started: only possible
    /// when they overlap.
    #[tokio::test]
    async fn unfinished_parts_of_one_room_overlap() {
        let started = Arc::new(AtomicUsize::new(0));
        let all_started = Arc::new(Notify::new());
        let mut lanes = Lanes::new(move |_: Event| {
            let (started, all_started) = (started.clone(), all_started.clone());
            async move {
                let rest: Unfinished = Box::pin(async move {
                    if started.fetch_add(1, Ordering::AcqRel) + 1 == 3 {
                        all_started.notify_waiters();
                    } else {
                        let waiting = all_started.notified();
                        if started.load(Ordering::Acquire) < 3 {
                            waiting.await;
                        }
                    }
                });
                Some(rest)
            }
        });
        for n in 0..3 {
            lanes.route('a', event('a', n));
        }
        tokio::time::timeout(Duration::from_secs(5), lanes.finish())
            .await
            .expect("the three sends overlap");
    }

    #[tokio::test]
    async fn an_event_that_refers_back_waits_for_earlier_unfinished_parts() {
        let log: Log = Arc::default();
        let handled = log.clone();
        let mut lanes = Lanes::new(move |e: Event| {
            let handled = handled.clone();
            async move {
                handled.lock().unwrap().push(('h', e.n));
                let rest: Unfinished = Box::pin(async move {
                    // The first event's send is the slowest.
                    let ms = if e.n == 0 { 50 } else { 1 };
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    handled.lock().unwrap().push(('s', e.n));
                });
                Some(rest)
            }
        });
        lanes.route('a', event('a', 0));
        lanes.route('a', event('a', 1));
        lanes.route(
            'a',
            Event {
                refers_back: true,
                ..event('a', 2)
            },
        );
        lanes.finish().await;
        let log = log.lock().unwrap();
        let at = |entry: (char, u32)| log.iter().position(|e| *e == entry).unwrap();
        assert!(
            at(('h', 1)) < at(('s', 0)),
            "event 1 did not wait for 0's send"
        );
        assert!(at(('s', 0)) < at(('h', 2)), "event 2 waited for 0's send");
        assert!(at(('s', 1)) < at(('h', 2)), "and for 1's");
        assert_eq!(log.len(), 6, "finish waits for every unfinished part");
    }

    #[tokio::test]
    async fn only_lanes_with_nothing_left_to_do_are_retired() {
        let (release, released) = oneshot::channel::<()>();
        let released = Arc::new(Mutex::new(Some(released)));
        let mut lanes = Lanes::new(move |room: char| {
            let released = released.clone();
            async move {
                let rest: Unfinished = match room {
                    'x' => {
                        let waiting = released.lock().unwrap().take().unwrap();
                        Box::pin(async move {
                            let _ = waiting.await;
                        })
                    }
                    _ => return None,
                };
                Some(rest)
            }
        });
        lanes.route('x', 'x');
        lanes.route('y', 'y');
        tokio::time::sleep(Duration::from_millis(50)).await;
        lanes.retire_idle(Duration::from_secs(60));
        assert_eq!(lanes.len(), 2, "both had events a moment ago");
        lanes.retire_idle(Duration::ZERO);
        assert_eq!(lanes.len(), 1, "the lane whose send is unfinished stays");
        release.send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        lanes.retire_idle(Duration::ZERO);
        assert_eq!(lanes.len(), 0);
        // A retired room's next event starts a new lane.
        lanes.route('y', 'y');
        assert_eq!(lanes.len(), 1);
        lanes.finish().await;
    }

    #[tokio::test]
    async fn a_panicking_handler_loses_one_event_not_the_room() {
        let log: Log = Arc::default();
        let handled = log.clone();
        let mut lanes = Lanes::new(move |e: Event| {
            let handled = handled.clone();
            async move {
                assert_ne!(e.n, 1, "a handler bug");
                let rest: Unfinished = Box::pin(async move {
                    assert_ne!(e.n, 2, "a bug after the decision");
                    handled.lock().unwrap().push((e.room, e.n));
                });
                Some(rest)
            }
        });
        for n in 0..4 {
            lanes.route('a', event('a', n));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        lanes.retire_idle(Duration::ZERO);
        assert_eq!(lanes.len(), 0, "panicked events are not pending forever");
        lanes.finish().await;
        let mut log = log.lock().unwrap().clone();
        log.sort();
        assert_eq!(log, vec![('a', 0), ('a', 3)]);
    }
}
