//! The progress of a bulk run on stderr: a bar (done/total, rate, ETA, failures) when stderr is
//! a terminal, nothing otherwise (the run ends with one summary line either way).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar, or nothing when stderr is not a terminal.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    failed: u64,
    /// Said after the failure count (failures per source, quota waits).
    detail: String,
}

/// The bar's look: with a total, done/total, rate and ETA; without, a count and rate.
fn style(known_total: bool) -> ProgressStyle {
    let template = if known_total {
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {per_sec} ETA {eta} {msg}"
    } else {
        "{spinner} [{elapsed_precise}] {pos} done {per_sec} {msg}"
    };
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Progress {
    /// A bar for `total` records (None: not known, e.g. standard input), drawn on stderr if
    /// it is a terminal.
    pub fn new(total: Option<u64>) -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            bar.set_style(style(total.is_some()));
            bar.set_message("0 failed");
            bar
        });
        Self {
            bar,
            failed: 0,
            detail: String::new(),
        }
    }

    /// One more record.
    pub fn record(&mut self, ok: bool) {
        if !ok {
            self.failed += 1;
        }
        if let Some(bar) = &self.bar {
            if !ok {
                bar.set_message(format!("{} failed{}", self.failed, self.detail));
            }
            bar.inc(1);
        }
    }

    /// Whether a bar is drawn.
    pub fn shown(&self) -> bool {
        self.bar.is_some()
    }

    /// What the bar says after the failure count, from now on.
    pub fn detail(&mut self, detail: String) {
        if detail == self.detail {
            return;
        }
        self.detail = detail;
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} failed{}", self.failed, self.detail));
        }
    }

    /// Takes the bar off the screen (the summary line that follows says it all).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
