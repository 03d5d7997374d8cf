//! The Redis quota store against a real Redis server (the system's `redis-server`, which
//! `.ci/run` installs): limiters in one process and `threatbind enrich` processes share one
//! sliding window; an unreachable server stops a run before anything is sent.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use threatbind::mock::{Options, RateLimit};
use threatbind::ratelimit::RedisUrl;
use threatbind::{QuotaStore, RateLimiter};

/// A Redis server on a free loopback port, stopped when dropped.
struct Redis {
    _child: common::KillOnDrop,
    url: String,
    _dir: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("threatbind-redis-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts `redis-server` (no persistence) and waits until it accepts connections (at most 10 s).
fn redis(name: &str) -> Redis {
    redis_with(name, &[])
}

/// [`redis`] with more server arguments (`--requirepass ...`).
fn redis_with(name: &str, extra: &[&str]) -> Redis {
    let port = free_port();
    let dir = tempdir(name);
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .args(extra)
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server (Debian package redis-server; .ci/run installs it)");
    let server = Redis {
        _child: common::KillOnDrop(child),
        url: format!("redis://127.0.0.1:{port}"),
        _dir: dir,
    };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "redis-server did not listen"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

fn quota(requests: u32, millis: u64) -> RateLimit {
    RateLimit {
        requests,
        period: Duration::from_millis(millis),
    }
}

/// The most grant times that fall in any window of `window`.
fn max_in_any_window(times: &[Duration], window: Duration) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort();
    let (mut best, mut start) = (0, 0);
    for end in 0..sorted.len() {
        while sorted[end] - sorted[start] >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

#[tokio::test(flavor = "multi_thread")]
async fn two_limiters_on_one_server_share_the_quota_and_a_burst_goes_at_once() {
    let server = redis("share");
    let url = RedisUrl::new(&server.url).unwrap();
    let limit = quota(5, 1000);
    let a = std::sync::Arc::new(RateLimiter::redis(limit, &url, "acct-1"));
    let b = std::sync::Arc::new(RateLimiter::redis(limit, &url, "acct-1"));
    let other = RateLimiter::redis(limit, &url, "acct-2");
    assert_eq!(a.store(), QuotaStore::Redis(url.clone()));
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let limiter = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                limiter.acquire().await.unwrap().release().await;
                t0.elapsed()
            })
        })
        .collect();
    let mut times = Vec::new();
    for t in tasks {
        times.push(t.await.unwrap());
    }
    times.sort();
    // A quiet account: the first 5 at once; then never more than 5 in any second.
    assert!(times[4] < Duration::from_millis(500), "{times:?}");
    assert!(times[5] >= Duration::from_millis(900), "{times:?}");
    assert!(
        max_in_any_window(&times, Duration::from_millis(1000)) <= 5,
        "{times:?}"
    );
    // 12 requests at 5 per second: two more windows, not much more.
    assert!(times[11] < Duration::from_secs(4), "{times:?}");
    // Another key is another quota.
    assert!(other.try_acquire().await.unwrap().is_ok());
}

#[tokio::test]
async fn a_password_and_a_database_from_the_url_are_used_and_a_wrong_password_is_named_not_shown() {
    let server = redis_with("auth", &["--requirepass", "s3cret-pass-42"]);
    let port = server.url.rsplit(':').next().unwrap();
    let good = RedisUrl::new(&format!("redis://:s3cret-pass-42@127.0.0.1:{port}/3")).unwrap();
    QuotaStore::Redis(good.clone()).check().await.unwrap();
    let limiter = RateLimiter::redis(quota(1, 60_000), &good, "k");
    assert!(limiter.try_acquire().await.unwrap().is_ok());
    assert!(
        limiter.try_acquire().await.unwrap().is_err(),
        "the quota is kept"
    );
    // The slot went to database 3, not 0: a limiter on database 0 finds the quota unused.
    let other_db = RedisUrl::new(&format!("redis://:s3cret-pass-42@127.0.0.1:{port}/0")).unwrap();
    let limiter = RateLimiter::redis(quota(1, 60_000), &other_db, "k");
    assert!(limiter.try_acquire().await.unwrap().is_ok());
    for url in [
        format!("redis://:wrong-pass-77@127.0.0.1:{port}"),
        format!("redis://127.0.0.1:{port}"),
    ] {
        let url = RedisUrl::new(&url).unwrap();
        let error = QuotaStore::Redis(url)
            .check()
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("quota store") && error.contains("refused"),
            "{error}"
        );
        assert!(
            !error.contains("wrong-pass-77") && !error.contains("s3cret"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error_at_once() {
    let url = RedisUrl::new(&format!(
        "redis://:pw-not-shown-123@127.0.0.1:{}",
        free_port()
    ))
    .unwrap();
    let started = Instant::now();
    let error = QuotaStore::Redis(url.clone())
        .check()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(11),
        "{:?}",
        started.elapsed()
    );
    assert!(
        error.contains("quota store") && error.contains("127.0.0.1"),
        "{error}"
    );
    assert!(!error.contains("pw-not-shown-123"), "{error}");
    assert!(!format!("{url:?}").contains("pw-not-shown-123"));
    let limiter = RateLimiter::redis(quota(1, 1000), &url, "k");
    assert!(limiter.acquire().await.is_err(), "no local fallback");
}

fn enrich(base: &str, store: &str, cache: &Path, input: &Path, out: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_threatbind"));
    command
        .env_clear()
        .env("DD_API_KEY", "dd-secret-api")
        .env("DD_APP_KEY", "dd-secret-app")
        // Each process its own cache: only Redis can share the quota between them.
        .env("THREATBIND_CACHE_DIR", cache)
        .args(["--base-url", base, "--retries", "0", "--rate-limit", "20/1"])
        .args(["--quota-store", store])
        .args(["enrich", "--provider", "datadog-ioc", "--concurrency", "8"])
        .arg("--input")
        .arg(input)
        .arg("--out")
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn three_processes_stay_within_one_quota_through_redis_and_use_it_fully() {
    let server = redis("three");
    let mock = threatbind::mock::serve(
        "127.0.0.1:0".parse().unwrap(),
        Options {
            rate_limit: Some(quota(20, 1000)),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let dir = tempdir("three-runs");
    let per_process = 30;
    let started = Instant::now();
    let children: Vec<(Child, PathBuf)> = (0..3)
        .map(|p| {
            let input = dir.join(format!("in-{p}.txt"));
            let lines: String = (0..per_process)
                .map(|i| format!("10.{p}.0.{i}\n"))
                .collect();
            std::fs::write(&input, lines).unwrap();
            let out = dir.join(format!("out-{p}.jsonl"));
            let cache = dir.join(format!("cache-{p}"));
            let child = enrich(mock.base_url(), &server.url, &cache, &input, &out)
                .spawn()
                .unwrap();
            (child, out)
        })
        .collect();
    for (child, out) in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = std::fs::read_to_string(&out).unwrap();
        let ok = text.lines().filter(|l| l.contains(r#""ok":true"#)).count();
        assert_eq!(ok, per_process, "{text}");
    }
    let took = started.elapsed();
    let stats = mock.stats();
    assert_eq!(stats.rate_limited, 0, "no 429: {stats:?}");
    assert_eq!(stats.requests, 3 * per_process as u64, "{stats:?}");
    // 90 requests at 20 per second: four whole windows must pass (three processes with a
    // quota each would take one), and the quota is used, not left idle.
    assert!(took >= Duration::from_secs(4), "{took:?}");
    assert!(took < Duration::from_secs(9), "{took:?}");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_store_stops_enrich_before_anything_is_sent() {
    let mock = threatbind::mock::serve("127.0.0.1:0".parse().unwrap(), Options::default())
        .await
        .unwrap();
    let dir = tempdir("unreachable");
    let input = dir.join("in.txt");
    std::fs::write(&input, "8.8.8.8\n").unwrap();
    let out = dir.join("out.jsonl");
    let store = format!("redis://127.0.0.1:{}", free_port());
    let output = enrich(mock.base_url(), &store, &dir.join("cache"), &input, &out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("Redis server") && stderr.contains(&store),
        "{stderr}"
    );
    assert_eq!(mock.stats().requests, 0);
    assert!(!out.exists(), "the output is not touched");
    // A store that is not one is named with its flag.
    let output = enrich(
        mock.base_url(),
        "memcached://x",
        &dir.join("cache"),
        &input,
        &out,
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--quota-store"), "{stderr}");
    mock.shutdown().await;
}
