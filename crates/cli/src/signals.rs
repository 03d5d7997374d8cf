//! The stop signals of a long run: SIGINT (Ctrl-C), SIGTERM (systemd, `docker stop`,
//! `timeout`) and SIGHUP (the terminal went away). The first asks the run to stop taking new
//! work and finish what is in flight; a second stops it at once. A signal the process was
//! started ignoring (`nohup` ignores SIGHUP; a script's background job, SIGINT) stays ignored.

use tokio::sync::watch;

/// The signals heard so far: how many, and the first one's number.
#[derive(Clone)]
pub(crate) struct Stops {
    heard: watch::Receiver<(u32, i32)>,
}

impl Stops {
    /// Starts listening (on the current tokio runtime).
    pub fn listen() -> Self {
        let (tell, heard) = watch::channel((0u32, 0i32));
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let kinds = [
                (SignalKind::interrupt(), libc::SIGINT),
                (SignalKind::terminate(), libc::SIGTERM),
                (SignalKind::hangup(), libc::SIGHUP),
            ];
            // A signal ignored from the start stays ignored: SIGHUP under `nohup`, SIGINT of a
            // job a script put in the background.
            for (kind, _) in kinds.into_iter().filter(|(_, n)| !ignored(*n)) {
                let Ok(mut stream) = signal(kind) else {
                    continue;
                };
                let tell = tell.clone();
                tokio::spawn(async move {
                    while stream.recv().await.is_some() {
                        tell.send_modify(|(count, first)| {
                            if *count == 0 {
                                *first = kind.as_raw_value();
                            }
                            *count += 1;
                        });
                    }
                });
            }
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                tell.send_modify(|(count, first)| {
                    if *count == 0 {
                        *first = 2;
                    }
                    *count += 1;
                });
            }
        });
        Self { heard }
    }

    /// Resolves when `n` signals were heard.
    pub async fn heard(&self, n: u32) {
        let mut heard = self.heard.clone();
        let _ = heard.wait_for(|(count, _)| *count >= n).await;
    }

    /// The first signal heard, if any.
    pub fn first(&self) -> Option<i32> {
        let (count, first) = *self.heard.borrow();
        (count > 0).then_some(first)
    }
}

/// The name of signal `n`.
pub(crate) fn name(n: i32) -> &'static str {
    match n {
        1 => "SIGHUP",
        2 => "SIGINT",
        15 => "SIGTERM",
        _ => "a signal",
    }
}

/// Whether the process was started with `signal` ignored.
#[cfg(unix)]
fn ignored(signal: libc::c_int) -> bool {
    // SAFETY: sigaction with a null new action only reads the current disposition into `old`,
    // a zeroed, properly aligned struct that lives for the call.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}
