//! One lane per room: events of different rooms are handled at the same time, events of
//! one room one after another, in the order they arrived.
//!
//! Order only matters within a room (an edit, a redaction or a reaction always refers to
//! an event in the same room), and a warning's send takes a round trip to the homeserver:
//! with one queue for everything, a busy room's sends held up every other room.
//!
//! A lane is a task with its own queue, started by the first event for its room. A lane
//! with nothing queued and nothing in hand for a while is retired, so rooms the bot has
//! left, or that fell quiet, cost nothing; the next event for such a room starts a new
//! lane. Retiring only an empty lane is what keeps the order: the old lane has finished
//! everything before the new one can start.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The lanes, by key (a room id). Owned by one task, the dispatcher: only it routes
/// events and retires lanes, so no lock is needed around the map.
pub struct Lanes<K, T, H> {
    lanes: HashMap<K, Lane<T>>,
    handler: Arc<H>,
}

struct Lane<T> {
    queue: UnboundedSender<T>,
    /// Events routed to this lane and not yet fully handled (queued or in hand).
    pending: Arc<AtomicUsize>,
    last_routed: Instant,
    task: JoinHandle<()>,
}

impl<K, T, H, F> Lanes<K, T, H>
where
    K: Eq + Hash + Clone,
    T: Send + 'static,
    H: Fn(T) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
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

    /// Retires the lanes that have nothing queued or in hand and had no new event for
    /// `idle`. Their tasks end on their own once their queue closes.
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

    /// Closes every lane and waits until each has handled everything queued on it.
    pub async fn finish(self) {
        let tasks: Vec<JoinHandle<()>> = self.lanes.into_values().map(|lane| lane.task).collect();
        // The queues closed as their senders went with the map; each task drains its own.
        for task in tasks {
            let _ = task.await;
        }
    }
}

impl<T: Send + 'static> Lane<T> {
    fn start<H, F>(handler: Arc<H>) -> Lane<T>
    where
        H: Fn(T) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let (queue, mut inbox) = unbounded_channel::<T>();
        let pending = Arc::new(AtomicUsize::new(0));
        let counted = pending.clone();
        let task = tokio::spawn(async move {
            while let Some(item) = inbox.recv().await {
                // Each event in a task of its own: a handler that panics loses that one
                // event, not the lane (and with it every later event of the room).
                if let Err(error) = tokio::spawn(handler(item)).await
                    && error.is_panic()
                {
                    tracing::error!("handling an event panicked; going on with the next");
                }
                counted.fetch_sub(1, Ordering::AcqRel);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::sync::oneshot;

    type Log = Arc<Mutex<Vec<(char, u32)>>>;

    #[tokio::test]
    async fn a_rooms_events_are_handled_in_order() {
        let log: Log = Arc::default();
        let handled = log.clone();
        // Lower numbers take longer, to tempt a reordering.
        let mut lanes = Lanes::new(move |(key, n): (char, u32)| {
            let handled = handled.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(u64::from(10 - n % 10))).await;
                handled.lock().unwrap().push((key, n));
            }
        });
        for n in 0..30 {
            for key in ['a', 'b', 'c'] {
                lanes.route(key, (key, n));
            }
        }
        assert_eq!(lanes.len(), 3);
        lanes.finish().await;
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 90, "finish handles everything queued");
        for key in ['a', 'b', 'c'] {
            let order: Vec<u32> = log
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, n)| *n)
                .collect();
            assert_eq!(order, (0..30).collect::<Vec<_>>(), "room {key}");
        }
    }

    #[tokio::test]
    async fn rooms_do_not_wait_for_each_other() {
        // Room a's first event waits for room b's; with one queue for both it never ends.
        let (release, released) = oneshot::channel::<()>();
        let released = Arc::new(Mutex::new(Some(released)));
        let release = Arc::new(Mutex::new(Some(release)));
        let mut lanes = Lanes::new(move |key: char| {
            let (released, release) = (released.clone(), release.clone());
            async move {
                if key == 'a' {
                    let waiting = released.lock().unwrap().take().unwrap();
                    waiting.await.unwrap();
                } else {
                    release.lock().unwrap().take().unwrap().send(()).unwrap();
                }
            }
        });
        lanes.route('a', 'a');
        lanes.route('b', 'b');
        tokio::time::timeout(Duration::from_secs(5), lanes.finish())
            .await
            .expect("room b's event is handled while room a's waits");
    }

    #[tokio::test]
    async fn only_quiet_empty_lanes_are_retired() {
        let (release, released) = oneshot::channel::<()>();
        let released = Arc::new(Mutex::new(Some(released)));
        let mut lanes = Lanes::new(move |key: char| {
            let released = released.clone();
            async move {
                if key == 'x' {
                    let waiting = released.lock().unwrap().take().unwrap();
                    let _ = waiting.await;
                }
            }
        });
        lanes.route('x', 'x');
        lanes.route('y', 'y');
        tokio::time::sleep(Duration::from_millis(50)).await;
        lanes.retire_idle(Duration::from_secs(60));
        assert_eq!(lanes.len(), 2, "both had events a moment ago");
        lanes.retire_idle(Duration::ZERO);
        assert_eq!(lanes.len(), 1, "the lane still handling its event stays");
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
        let mut lanes = Lanes::new(move |(key, n): (char, u32)| {
            let handled = handled.clone();
            async move {
                assert_ne!(n, 1, "a handler bug");
                handled.lock().unwrap().push((key, n));
            }
        });
        for n in 0..3 {
            lanes.route('a', ('a', n));
        }
        lanes.finish().await;
        assert_eq!(*log.lock().unwrap(), vec![('a', 0), ('a', 2)]);
    }
}
