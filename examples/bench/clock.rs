//! CPU time as Linux's proc files count it; `None` elsewhere, and callers fall back to
//! wall-clock time.

use std::time::Duration;

/// CPU time this thread has run so far (Linux `/proc/thread-self/schedstat`, nanoseconds).
/// The counter advances at scheduler ticks and context switches, so it is only good for
/// intervals of a tenth of a second and more.
pub fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// User + system CPU time of every thread of this process so far (Linux `/proc/self/stat`,
/// fields 14 and 15, in clock ticks of 1/100 s).
pub fn process_cpu() -> Option<Duration> {
    stat_ticks(11)
}

/// User + system CPU time of this process's waited-for children (Linux `/proc/self/stat`,
/// fields 16 and 17, in clock ticks of 1/100 s, the fixed USER_HZ of Linux's proc files).
pub fn children_cpu() -> Option<Duration> {
    stat_ticks(13)
}

/// The sum of the two clock-tick fields of `/proc/self/stat` starting at `index`, counted
/// from field 3 (state): 11 is utime + stime, 13 cutime + cstime.
fn stat_ticks(index: usize) -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 =
        fields.get(index)?.parse::<u64>().ok()? + fields.get(index + 1)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}
