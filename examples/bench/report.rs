//! Medians, percentiles and the lines the parts print.

use std::time::Duration;

use crate::measure::percentile;

pub fn median(values: &mut [Duration]) -> Duration {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Sorted durations, read at a percentile.
pub struct Percentiles(Vec<Duration>);

impl Percentiles {
    pub fn new(mut times: Vec<Duration>) -> Percentiles {
        times.sort_unstable();
        Percentiles(times)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The value at fraction `p` of the sorted list (nearest rank).
    pub fn at(&self, p: f64) -> Duration {
        percentile(&self.0, p)
    }

    pub fn max(&self) -> Duration {
        self.0.last().copied().unwrap_or_default()
    }
}

pub fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

pub fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// One target line: `[met]` or `[MISSED]`, what was measured and what the target is.
pub fn verdict(what: &str, measured: String, target: String, met: bool) {
    let mark = if met { "met" } else { "MISSED" };
    println!("   [{mark}] {what}: {measured} (target {target})");
}
