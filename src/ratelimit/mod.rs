//! Client-side quotas: callers wait instead of collecting 429s.
//!
//! A quota of N requests per period P means at most N requests in ANY window of length P. The
//! limiter keeps a log of the last N slots (a sliding-window log): a request goes at once while
//! fewer than N slots were used in the last P, so a quiet account answers its first N requests
//! without delay; otherwise it waits until the oldest slot is P old. A slot is stamped again when
//! its request completes, and frees one period after that: the server saw the request somewhere
//! between grant and completion, so counting from completion can never put N + 1 requests in
//! one of the server's windows.
//!
//! Limiters are shared: every client built for the same account or token, and every clone of it,
//! draws from one limiter (see [`RateLimiter::shared`]). With [`QuotaStore::Machine`], the log
//! lives in a small state file updated under an OS file lock, so that every process of the
//! machine (cron jobs, `xargs -P`, several terminals) shares the account's quota. With
//! `QuotaStore::Redis` (the `redis` feature), the log is a sorted set in a Redis server,
//! updated by atomic scripts on the server's clock, so that processes on many machines share it
//! (over TLS with `rediss://`).

#[cfg(feature = "redis")]
mod redis;

/// The `tracing` target of the event [`RateLimiter::acquire`] sends each time a request waits
/// for a slot of its quota; its field `wait_ms` is the wait in milliseconds.
pub const WAIT_EVENT: &str = "threatbind::quota";
#[cfg(feature = "redis")]
pub use self::redis::RedisUrl;

use crate::error::{Error, Result};
use crate::spec::RateLimit;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where a limiter keeps its log.
///
/// ```
/// use threatbind::ratelimit::QuotaStore;
/// assert_eq!(QuotaStore::default(), QuotaStore::InProcess);
/// let shared = QuotaStore::Machine(std::env::temp_dir().join("threatbind-quota"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum QuotaStore {
    /// In this process's memory: shared by the clients of this process only (the library's
    /// default).
    #[default]
    InProcess,
    /// In state files under this directory, shared by every process of the machine that uses
    /// it (the CLI's default, under its cache directory).
    Machine(PathBuf),
    /// In a Redis server, shared by every process on every machine that uses it
    /// (`--quota-store redis://HOST:PORT`, or `rediss://` for TLS; see [`RedisUrl`]).
    #[cfg(feature = "redis")]
    Redis(RedisUrl),
}

impl QuotaStore {
    /// Checks that the store can be used now: a Redis server is connected to and answers
    /// (within seconds); a machine directory is created. A run calls this at its start, so
    /// that an unusable store stops it before anything is sent, never falling back to a
    /// quota of its own.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use threatbind::QuotaStore;
    /// assert!(QuotaStore::InProcess.check().await.is_ok());
    /// # }
    /// ```
    pub async fn check(&self) -> Result<()> {
        match self {
            QuotaStore::InProcess => Ok(()),
            QuotaStore::Machine(dir) => prepare_dir(dir),
            #[cfg(feature = "redis")]
            QuotaStore::Redis(url) => self::redis::connect(url).await.map(drop),
        }
    }
}

/// Creates `dir` readable by its owner only (unix mode 0700) and checks that state can be
/// written there: what [`QuotaStore::check`] does for a machine store, and what a caller keeping
/// other state between runs (a token cache) can do before it relies on the directory.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("threatbind-doc-prepare-{}", std::process::id()));
/// threatbind::ratelimit::prepare_dir(&dir).unwrap();
/// let e = threatbind::ratelimit::prepare_dir(std::path::Path::new("/dev/null/x")).unwrap_err();
/// assert!(e.to_string().contains("/dev/null/x"), "{e}");
/// # let _ = std::fs::remove_dir_all(&dir);
/// ```
pub fn prepare_dir(dir: &Path) -> Result<()> {
    crate::private_fs::usable_dir(dir)
        .map_err(|e| Error::config("quota store", format!("{}: {e}", dir.display())))
}

/// A quota and the limiter that enforces it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> threatbind::Result<()> {
/// use std::time::Duration;
/// use threatbind::{RateLimiter, spec::RateLimit};
/// let limiter = RateLimiter::new(RateLimit { requests: 50, period: Duration::from_secs(60) });
/// let started = std::time::Instant::now();
/// for _ in 0..50 {
///     limiter.acquire().await?.complete(); // a quiet account: the first 50 go at once
/// }
/// assert!(started.elapsed() < Duration::from_secs(1));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Memory(Arc<Mutex<MemoryLog>>),
    File(Arc<StateFile>),
    #[cfg(feature = "redis")]
    Redis(Arc<self::redis::RedisLog>),
}

/// The in-process log: the slots of requests in flight, stamped with their grant time, and
/// those of completed requests, stamped with their completion time. Completions are stamped
/// "now", so they arrive in time order and expire from the front: taking and completing a slot
/// cost O(1) (plus the requests in flight), whatever the quota's size.
#[derive(Debug, Default)]
struct MemoryLog {
    in_flight: HashMap<u64, tokio::time::Instant>,
    completed: VecDeque<tokio::time::Instant>,
}

impl MemoryLog {
    /// Drops the slots one period old or older.
    fn expire(&mut self, now: tokio::time::Instant, period: Duration) {
        while self
            .completed
            .front()
            .is_some_and(|t| now.duration_since(*t) >= period)
        {
            self.completed.pop_front();
        }
        if self
            .in_flight
            .values()
            .any(|t| now.duration_since(*t) >= period)
        {
            self.in_flight
                .retain(|_, t| now.duration_since(*t) < period);
        }
    }

    fn len(&self) -> usize {
        self.in_flight.len() + self.completed.len()
    }

    fn grant(&mut self, id: u64, now: tokio::time::Instant) {
        self.in_flight.insert(id, now);
    }

    /// The slot of `id` is stamped again at `now` (taken again if it had expired).
    fn complete(&mut self, id: u64, now: tokio::time::Instant) {
        self.in_flight.remove(&id);
        // `now` is never before the back: a clock read later under the same lock.
        let at = self.completed.back().map_or(now, |back| now.max(*back));
        self.completed.push_back(at);
    }

    /// The stamp that frees first.
    fn oldest(&self) -> Option<tokio::time::Instant> {
        let flying = self.in_flight.values().min().copied();
        match (self.completed.front().copied(), flying) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A slot taken from a limiter. Completing it (or dropping it) stamps the slot with the time
/// the request completed; the slot frees one period later.
#[derive(Debug)]
pub struct Permit {
    id: u64,
    backend: Option<Backend>,
}

impl Permit {
    /// Marks the request as completed now.
    pub fn complete(mut self) {
        self.finish();
    }

    /// Marks the request as completed now, waiting for a Redis store to record it (a
    /// dropped permit records it in the background, best effort).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> threatbind::Result<()> {
    /// use std::time::Duration;
    /// use threatbind::{spec::RateLimit, RateLimiter};
    /// let limiter = RateLimiter::new(RateLimit { requests: 1, period: Duration::from_secs(60) });
    /// limiter.acquire().await?.release().await;
    /// assert!(limiter.try_acquire().await?.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn release(mut self) {
        #[cfg(feature = "redis")]
        if let Some(Backend::Redis(log)) = &self.backend {
            let log = log.clone();
            self.backend = None;
            // Best effort: if it fails, the slot keeps its grant time.
            let _ = Box::pin(log.restamp(self.id)).await;
            return;
        }
        self.finish();
    }

    fn finish(&mut self) {
        match self.backend.take() {
            Some(Backend::Memory(log)) => {
                let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                // A request slower than the period lost its slot meanwhile: it takes one again,
                // since the server may have counted it late.
                log.complete(self.id, tokio::time::Instant::now());
            }
            Some(Backend::File(file)) => {
                // Best effort, and never a panic in a destructor: if the file cannot be
                // written, the slot keeps its grant time and frees one period after the grant.
                let _ = file.restamp(self.id);
            }
            #[cfg(feature = "redis")]
            Some(Backend::Redis(log)) => {
                let id = self.id;
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move {
                        let _ = log.restamp(id).await;
                    });
                }
            }
            None => {}
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.finish();
    }
}

impl RateLimiter {
    /// A limiter for `limit` whose log lives in this process.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit: sane(limit),
            backend: Backend::Memory(Arc::default()),
        }
    }

    /// A limiter for `limit` whose log is the state file of `key` under `dir` (created, mode
    /// 0700), shared with every process using the same directory, key and quota.
    pub fn machine(limit: RateLimit, dir: &Path, key: &str) -> Result<Self> {
        let limit = sane(limit);
        let file = StateFile::open(dir, key, limit)?;
        Ok(Self {
            limit,
            backend: Backend::File(Arc::new(file)),
        })
    }

    /// A limiter for `limit` whose log is kept for `key` in the Redis server at `url`, shared
    /// with every process, on any machine, using the same server, key and quota. It connects
    /// on first use; [`QuotaStore::check`] connects at once.
    #[cfg(feature = "redis")]
    pub fn redis(limit: RateLimit, url: &RedisUrl, key: &str) -> Self {
        let limit = sane(limit);
        Self {
            limit,
            backend: Backend::Redis(Arc::new(self::redis::RedisLog::new(url, key, limit))),
        }
    }

    /// The limiter shared by everyone in this process using `key` (e.g.
    /// `log360-cloud:host:443:account:18XXXXX4`) with this quota and store. A different quota
    /// for the same key gets its own limiter.
    pub fn shared(key: &str, limit: RateLimit, store: &QuotaStore) -> Result<Arc<Self>> {
        type Registry = Mutex<HashMap<(String, u32, Duration, QuotaStore), Arc<RateLimiter>>>;
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        let full_key = (key.to_owned(), limit.requests, limit.period, store.clone());
        let mut map = REGISTRY
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(limiter) = map.get(&full_key) {
            return Ok(limiter.clone());
        }
        let limiter = Arc::new(match store {
            QuotaStore::InProcess => Self::new(limit),
            QuotaStore::Machine(dir) => Self::machine(limit, dir, key)?,
            #[cfg(feature = "redis")]
            QuotaStore::Redis(url) => Self::redis(limit, url, key),
        });
        map.insert(full_key, limiter.clone());
        Ok(limiter)
    }

    /// The quota.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Where the log lives.
    pub fn store(&self) -> QuotaStore {
        match &self.backend {
            Backend::Memory(_) => QuotaStore::InProcess,
            Backend::File(file) => QuotaStore::Machine(file.dir.clone()),
            #[cfg(feature = "redis")]
            Backend::Redis(log) => QuotaStore::Redis(log.url.clone()),
        }
    }

    /// Waits until a slot is free and takes it. The wait is at most one period at a time.
    ///
    /// Each wait is told as a `tracing` event of target [`WAIT_EVENT`] (level INFO) whose field
    /// `wait_ms` is how long until the next slot frees: what `-v` shows, and what a caller that
    /// runs many clients at once (`threatbind enrich`) reads to say which one waits.
    pub async fn acquire(&self) -> Result<Permit> {
        let id = fastrand::u64(..);
        loop {
            match self.attempt(id).await? {
                Ok(permit) => return Ok(permit),
                Err(wait) => {
                    let wait = wait.min(self.limit.period);
                    tracing::info!(
                        target: WAIT_EVENT,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "quota: next slot in {:.1} s ({} requests per {:.1} s)",
                        wait.as_secs_f64(),
                        self.limit.requests,
                        self.limit.period.as_secs_f64()
                    );
                    tokio::time::sleep(wait + Duration::from_millis(1)).await
                }
            }
        }
    }

    /// Takes a slot if one is free now; otherwise says how long until one frees, taking none.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::time::Duration;
    /// use threatbind::{spec::RateLimit, RateLimiter};
    /// let limiter = RateLimiter::new(RateLimit { requests: 1, period: Duration::from_secs(60) });
    /// let first = limiter.try_acquire().await.unwrap();
    /// assert!(first.is_ok());
    /// let wait = limiter.try_acquire().await.unwrap().unwrap_err();
    /// assert!(wait > Duration::from_secs(59));
    /// # }
    /// ```
    pub async fn try_acquire(&self) -> Result<std::result::Result<Permit, Duration>> {
        self.attempt(fastrand::u64(..)).await
    }

    /// Takes a slot if the log is this process's and a slot is free now: what the send path
    /// tries before arming a timer to wait with [`Self::acquire`] (`None`: wait).
    pub(crate) fn take_now(&self) -> Option<Permit> {
        match &self.backend {
            Backend::Memory(log) => self.take_in_memory(log, fastrand::u64(..)).ok(),
            _ => None,
        }
    }

    /// The in-process log's answer to [`Self::attempt`].
    fn take_in_memory(
        &self,
        log: &Arc<Mutex<MemoryLog>>,
        id: u64,
    ) -> std::result::Result<Permit, Duration> {
        let now = tokio::time::Instant::now();
        let period = self.limit.period;
        let mut slots = log.lock().unwrap_or_else(|e| e.into_inner());
        slots.expire(now, period);
        if slots.len() < self.limit.requests as usize {
            slots.grant(id, now);
            return Ok(Permit {
                id,
                backend: Some(Backend::Memory(log.clone())),
            });
        }
        let oldest = slots.oldest().unwrap_or(now);
        Err((oldest + period).saturating_duration_since(now))
    }

    async fn attempt(&self, id: u64) -> Result<std::result::Result<Permit, Duration>> {
        match &self.backend {
            Backend::Memory(log) => Ok(self.take_in_memory(log, id)),
            Backend::File(file) => {
                let state = file.clone();
                let taken = tokio::task::spawn_blocking(move || state.take(id))
                    .await
                    .map_err(|e| Error::QuotaStore(e.to_string()))??;
                Ok(match taken {
                    None => Ok(Permit {
                        id,
                        backend: Some(Backend::File(file.clone())),
                    }),
                    Some(wait) => Err(wait),
                })
            }
            #[cfg(feature = "redis")]
            // Boxed: the client's futures stay shallow for the compiler.
            Backend::Redis(log) => Ok(match Box::pin(log.take(id)).await? {
                None => Ok(Permit {
                    id,
                    backend: Some(Backend::Redis(log.clone())),
                }),
                Some(wait) => Err(wait),
            }),
        }
    }
}

/// At least one request per period, and a period from a millisecond to ten years (so that no
/// time arithmetic can overflow, whatever a spec or a caller says).
fn sane(limit: RateLimit) -> RateLimit {
    RateLimit {
        requests: limit.requests.max(1),
        period: limit.period.clamp(
            Duration::from_millis(1),
            Duration::from_secs(10 * 365 * 86_400),
        ),
    }
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// The name of one quota's log: the key, readable and short, and a hash of the key and the
/// quota (a different quota for the same key is another log).
fn file_name(key: &str, limit: RateLimit) -> String {
    let readable: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let hash = crate::secret::fingerprint(&format!(
        "{key}|{}|{}",
        limit.requests,
        limit.period.as_nanos()
    ));
    format!("{readable}-{hash:016x}")
}

/// The state file of one key: one slot per line, `<id> <unix nanos>`.
#[derive(Debug)]
struct StateFile {
    dir: PathBuf,
    path: PathBuf,
    limit: RateLimit,
}

impl StateFile {
    fn open(dir: &Path, key: &str, limit: RateLimit) -> Result<Self> {
        let file = Self {
            dir: dir.to_owned(),
            path: dir.join(format!("{}.quota", file_name(key, limit))),
            limit,
        };
        crate::private_fs::dir(dir).map_err(|e| file.problem(dir, e))?;
        crate::private_fs::open(&file.path).map_err(|e| file.problem(&file.path, e))?;
        Ok(file)
    }

    /// A problem while opening the store (the client is being built: a configuration error).
    fn problem(&self, path: &Path, e: impl std::fmt::Display) -> Error {
        Error::config("quota store", format!("{}: {e}", path.display()))
    }

    /// A problem while a request waits for its slot.
    fn failed(&self, e: impl std::fmt::Display) -> Error {
        Error::QuotaStore(format!("{}: {e}", self.path.display()))
    }

    fn handle(&self) -> Result<std::fs::File> {
        crate::private_fs::open(&self.path).map_err(|e| self.failed(e))
    }

    /// Under the lock: reads the live slots, lets `change` edit them, writes them back.
    fn update<T>(&self, change: impl FnOnce(&mut Vec<(u64, u128)>, u128) -> T) -> Result<T> {
        use std::io::{Read, Seek, Write};
        let mut file = self.handle()?;
        file.lock().map_err(|e| self.failed(e))?;
        let mut text = String::new();
        // An unreadable (torn, foreign) content counts as empty lines: skipped, not fatal.
        let _ = file.read_to_string(&mut text);
        let now = unix_nanos();
        let period = self.limit.period.as_nanos();
        let mut slots: Vec<(u64, u128)> = text
            .lines()
            .filter_map(|line| {
                let (id, at) = line.split_once(' ')?;
                Some((id.parse().ok()?, at.trim().parse().ok()?))
            })
            // A slot stamped in the future (the clock went back) counts as stamped now.
            .map(|(id, at): (u64, u128)| (id, at.min(now)))
            .filter(|(_, at)| now - at < period)
            .collect();
        let result = change(&mut slots, now);
        slots.sort_by_key(|(_, at)| *at);
        let excess = slots.len().saturating_sub(self.limit.requests as usize);
        slots.drain(..excess);
        let mut out = String::with_capacity(slots.len() * 40);
        for (id, at) in &slots {
            out.push_str(&format!("{id} {at}\n"));
        }
        let written = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(out.as_bytes()));
        let _ = file.unlock();
        written.map_err(|e| self.failed(e))?;
        Ok(result)
    }

    /// Takes a slot for `id`, or says how long until one frees.
    fn take(&self, id: u64) -> Result<Option<Duration>> {
        let n = self.limit.requests as usize;
        let period = self.limit.period.as_nanos();
        self.update(|slots, now| {
            if slots.len() < n {
                slots.push((id, now));
                return None;
            }
            let oldest = slots.iter().map(|(_, at)| *at).min().unwrap_or(now);
            let wait = (oldest + period).saturating_sub(now);
            Some(Duration::from_nanos(
                u64::try_from(wait).unwrap_or(u64::MAX),
            ))
        })
    }

    /// Stamps `id`'s slot with now (its request completed).
    fn restamp(&self, id: u64) -> Result<()> {
        self.update(
            |slots, now| match slots.iter_mut().find(|(i, _)| *i == id) {
                Some(slot) => slot.1 = now,
                None => slots.push((id, now)),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(n: u32, period: Duration) -> RateLimit {
        RateLimit {
            requests: n,
            period,
        }
    }

    fn max_in_any_window(sent: &[Duration], window: Duration) -> usize {
        let mut sorted = sent.to_vec();
        sorted.sort();
        let mut best = 0;
        let mut start = 0;
        for end in 0..sorted.len() {
            while sorted[end] - sorted[start] >= window {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_n_goes_at_once_and_never_more_than_n_per_window() {
        let limiter = RateLimiter::new(limit(5, Duration::from_secs(1)));
        let t0 = tokio::time::Instant::now();
        let mut sent = Vec::new();
        while t0.elapsed() < Duration::from_secs(3) {
            limiter.acquire().await.unwrap().complete();
            sent.push(t0.elapsed());
        }
        assert!(sent[..5].iter().all(|t| t.is_zero()), "{sent:?}");
        assert!(sent[5] >= Duration::from_secs(1), "{sent:?}");
        assert!(
            max_in_any_window(&sent, Duration::from_secs(1)) <= 5,
            "{sent:?}"
        );
        // Not needlessly slow: three full periods of 5.
        assert!(sent.len() >= 15, "{}", sent.len());
    }

    #[tokio::test(start_paused = true)]
    async fn take_now_takes_a_free_slot_of_the_same_log_and_never_waits() {
        let limiter = RateLimiter::new(limit(1, Duration::from_secs(1)));
        let permit = limiter.take_now().expect("a free slot");
        // The slot is the log's: neither way of asking finds another one.
        assert!(limiter.take_now().is_none());
        assert!(limiter.try_acquire().await.unwrap().is_err());
        permit.complete();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(limiter.take_now().is_some());
        // A log shared with other processes is asked with `acquire`, under the caller's timer.
        let dir = temp_dir("take-now");
        let machine = RateLimiter::machine(limit(5, Duration::from_secs(1)), &dir, "k");
        assert!(machine.unwrap().take_now().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_frees_one_period_after_its_request_completed() {
        let limiter = RateLimiter::new(limit(2, Duration::from_secs(1)));
        let t0 = tokio::time::Instant::now();
        let slow = limiter.acquire().await.unwrap();
        limiter.acquire().await.unwrap().complete();
        tokio::time::sleep(Duration::from_millis(500)).await;
        slow.complete(); // this request took 500 ms
        limiter.acquire().await.unwrap().complete(); // the quick one's slot, at 1 s
        assert!(
            (t0.elapsed().as_millis() as i64 - 1000).abs() <= 5,
            "{:?}",
            t0.elapsed()
        );
        limiter.acquire().await.unwrap().complete(); // the slow one's: 1 s after 500 ms
        assert!(
            (t0.elapsed().as_millis() as i64 - 1500).abs() <= 5,
            "{:?}",
            t0.elapsed()
        );
    }

    fn temp_dir(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "threatbind-quota-{name}-{}-{:x}",
            std::process::id(),
            fastrand::u64(..)
        ))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn machine_limiters_on_one_file_share_the_quota() {
        let dir = temp_dir("shared");
        let quota = limit(10, Duration::from_secs(1));
        // Four limiters, as four processes would have: each opens and locks the file itself.
        let limiters: Vec<Arc<RateLimiter>> = (0..4)
            .map(|_| Arc::new(RateLimiter::machine(quota, &dir, "test:acct").unwrap()))
            .collect();
        let t0 = std::time::Instant::now();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..24 {
            let limiter = limiters[i % 4].clone();
            let sent = sent.clone();
            tasks.push(tokio::spawn(async move {
                let permit = limiter.acquire().await.unwrap();
                sent.lock().unwrap().push(t0.elapsed());
                permit.complete();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut sent = sent.lock().unwrap().clone();
        sent.sort();
        assert!(sent[9] < Duration::from_millis(300), "{sent:?}");
        assert!(sent[10] >= Duration::from_secs(1), "{sent:?}");
        assert!(
            max_in_any_window(&sent, Duration::from_secs(1)) <= 10,
            "{sent:?}"
        );
        assert!(sent[23] < Duration::from_millis(2500), "{sent:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_corrupt_state_file_is_tolerated_and_a_bad_dir_is_named() {
        let dir = temp_dir("corrupt");
        let quota = limit(3, Duration::from_secs(60));
        let limiter = RateLimiter::machine(quota, &dir, "k").unwrap();
        let Backend::File(file) = &limiter.backend else {
            panic!("a file backend")
        };
        std::fs::write(&file.path, b"\xff\xfe garbage\n12 34\n99 1").unwrap();
        for _ in 0..3 {
            limiter.acquire().await.unwrap().complete();
        }
        // Three live slots now: the fourth would wait, not fail.
        let wait = file.take(7).unwrap();
        assert!(
            wait.is_some_and(|w| w > Duration::from_secs(50)),
            "{wait:?}"
        );
        let err = RateLimiter::machine(quota, Path::new("/dev/null/x"), "k").unwrap_err();
        assert!(err.to_string().contains("/dev/null/x"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn shared_limiters_are_one_per_key_quota_and_store() {
        let quota = limit(5, Duration::from_secs(1));
        let a = RateLimiter::shared("test:acct:1", quota, &QuotaStore::InProcess).unwrap();
        let b = RateLimiter::shared("test:acct:1", quota, &QuotaStore::InProcess).unwrap();
        let c = RateLimiter::shared("test:acct:2", quota, &QuotaStore::InProcess).unwrap();
        let d = RateLimiter::shared(
            "test:acct:1",
            limit(6, quota.period),
            &QuotaStore::InProcess,
        )
        .unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c) && !Arc::ptr_eq(&a, &d));
        let dir = temp_dir("registry");
        let m =
            RateLimiter::shared("test:acct:1", quota, &QuotaStore::Machine(dir.clone())).unwrap();
        assert!(!Arc::ptr_eq(&a, &m));
        assert_eq!(m.store(), QuotaStore::Machine(dir.clone()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
