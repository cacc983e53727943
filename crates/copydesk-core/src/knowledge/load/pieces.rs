//! The fast path for large files: the file cut at its `[[topic]]` headers, and the pieces
//! parsed and read on worker threads while one thread merges them in order.

use toml::de::DeTable;

use super::topics::TopicRead;
use super::{Reader, read_document};
use crate::knowledge::fields::Problems;

/// One piece of the file, parsed and read on its own.
struct PieceRead<'t> {
    topics: Vec<TopicRead>,
    problems: Problems<'t>,
}

/// The fast path for large files: parses and reads one `[[topic]]` at a time.
///
/// toml lexes the whole input into a token list and builds the whole tree before handing
/// any of it over; for ten thousand topics that is tens of megabytes of short-lived memory,
/// and page faults and cache misses then cost more than parsing. Pieces split at lines
/// that are exactly a `[[topic]]` header stay small and in cache, and can be parsed and
/// read on several threads (see [`in_order`]) while this one checks names across topics.
///
/// A piece must mean what it means in the whole file, so this gives up (returns `None`) on
/// any syntax error (a header line inside a multi-line string makes the piece before it
/// unterminated), on a `topic` key before the first header, and on any other root key
/// after it. `read_whole` then reports exactly what toml sees.
pub(super) fn read_in_pieces<'t>(origin: &'t str, text: &'t str) -> Option<Reader<'t>> {
    let mut bounds = topic_header_offsets(text);
    bounds.insert(0, 0);
    bounds.push(text.len());
    let pieces: Vec<&str> = bounds.windows(2).map(|b| &text[b[0]..b[1]]).collect();
    let read_piece = |i: usize, piece: &'t str| {
        let (document, syntax_errors) = DeTable::parse_recoverable(piece);
        let root = document.get_ref();
        let has_topic = root.get("topic").is_some();
        let same_meaning = if i == 0 {
            !has_topic
        } else {
            has_topic && root.len() == 1
        };
        if !syntax_errors.is_empty() || !same_meaning {
            return None;
        }
        let mut problems = Problems::new(origin, text);
        problems.set_base(bounds[i]);
        let topics = read_document(&document, &mut problems);
        Some(PieceRead { topics, problems })
    };
    let mut reader = Reader::new(origin, text);
    let complete = in_order(&pieces, read_piece, |piece| {
        reader.p.absorb(piece.problems);
        reader.add(piece.topics);
    });
    complete.then_some(reader)
}

/// Pieces below which threads cost more than they save.
pub(super) const PIECES_PER_THREAD: usize = 2_000;

/// Pieces a worker hands over at a time, so that the merging thread is woken once per
/// batch rather than once per topic.
const PIECES_PER_BATCH: usize = 64;

/// Runs `work(index, piece)` over `pieces` and hands each result to `merge` on this
/// thread, in order, until `work` returns `None`; returns whether every piece worked.
///
/// With more than one CPU and enough pieces, worker threads do the work (parsing and
/// reading, nearly all of the cost of loading a large file) while this thread merges:
/// worker `w` takes pieces `w`, `w + n`, … into a short queue, so memory stays bounded
/// and the order is kept. Stopping early drops the queues, which stops the workers.
fn in_order<'t, R: Send>(
    pieces: &[&'t str],
    work: impl Fn(usize, &'t str) -> Option<R> + Sync,
    mut merge: impl FnMut(R),
) -> bool {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cpus.min(pieces.len() / PIECES_PER_THREAD).min(8);
    if workers < 2 {
        return pieces
            .iter()
            .enumerate()
            .all(|(i, piece)| work(i, piece).map(&mut merge).is_some());
    }
    let work = &work;
    std::thread::scope(|scope| {
        let queues: Vec<_> = (0..workers)
            .map(|w| {
                let (queue, done) = std::sync::mpsc::sync_channel::<Option<Vec<R>>>(4);
                scope.spawn(move || {
                    let batches = pieces.chunks(PIECES_PER_BATCH).enumerate();
                    for (b, batch) in batches.skip(w).step_by(workers) {
                        let first = b * PIECES_PER_BATCH;
                        let results: Option<Vec<R>> = batch
                            .iter()
                            .enumerate()
                            .map(|(j, piece)| work(first + j, piece))
                            .collect();
                        let failed = results.is_none();
                        if queue.send(results).is_err() || failed {
                            return;
                        }
                    }
                });
                done
            })
            .collect();
        (0..pieces.len().div_ceil(PIECES_PER_BATCH)).all(|b| {
            // Only a panic can end a worker early; the scope then re-raises it, as the
            // same panic would surface on one thread.
            queues[b % workers]
                .recv()
                .ok()
                .flatten()
                .map(|results| results.into_iter().for_each(&mut merge))
                .is_some()
        })
    })
}

/// Byte offsets of the lines that are exactly `[[topic]]`, optionally followed by
/// whitespace and a comment.
pub(super) fn topic_header_offsets(text: &str) -> Vec<usize> {
    const HEADER: &str = "[[topic]]";
    // A vectorised substring search: this runs on one thread before any worker can start.
    memchr::memmem::find_iter(text.as_bytes(), HEADER)
        .filter(|&at| {
            let line_start = at == 0 || text.as_bytes()[at - 1] == b'\n';
            let after = &text[at + HEADER.len()..];
            let rest = after[..after.find('\n').unwrap_or(after.len())]
                .trim_start_matches([' ', '\t', '\r']);
            line_start && (rest.is_empty() || rest.starts_with('#'))
        })
        .collect()
}
