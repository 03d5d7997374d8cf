//! The Redis quota store against a real Redis server (the system's `redis-server`, which
//! `.ci/run` installs; Debian's is built with TLS): limiters in one process and `threatbind
//! enrich` processes share one sliding window; `rediss://` is verified against a CA file made
//! here with `openssl`; an unreachable or untrusted server, or a password that would travel in
//! clear text, stops a run before anything is sent.
//!
//! No assertion bounds how fast anything goes (a noisy 2-core machine may be slow): the
//! quota is checked by counts, and by the least time the server's log makes a run take.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use threatbind::ratelimit::RedisUrl;
use threatbind::{QuotaStore, RateLimiter};
use threatbind_mock::{Options, RateLimit};

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
    let port_args = ["--port".to_owned(), port.to_string()];
    let url = format!("redis://127.0.0.1:{port}");
    start_redis(&port_args, port, extra, dir, url)
}

/// Starts `redis-server` in `dir` listening on `port` and waits until it accepts connections
/// (a generous 30 s, for a loaded machine).
fn start_redis(
    port_args: &[String],
    port: u16,
    extra: &[&str],
    dir: PathBuf,
    url: String,
) -> Redis {
    let child = Command::new("redis-server")
        .args(port_args)
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(extra)
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server (Debian package redis-server; .ci/run installs it)");
    let mut child = common::KillOnDrop(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("redis-server {port_args:?} {extra:?} exited: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "redis-server did not listen on port {port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Redis {
        _child: child,
        url,
        _dir: dir,
    }
}

/// Runs `openssl` with `args` (split at spaces) in `dir`, panicking with its stderr if it fails.
fn openssl(dir: &Path, args: &str) {
    let output = Command::new("openssl")
        .args(args.split_whitespace())
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl (Debian package openssl)");
    assert!(
        output.status.success(),
        "openssl {args}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A certificate authority `<name>.pem` (key `<name>.key`) made in `dir`.
fn make_ca(dir: &Path, name: &str) -> PathBuf {
    openssl(
        dir,
        &format!(
            "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
             -keyout {name}.key -out {name}.pem -subj /CN=threatbind-test-{name} \
             -addext basicConstraints=critical,CA:TRUE \
             -addext keyUsage=critical,keyCertSign,cRLSign"
        ),
    );
    dir.join(format!("{name}.pem"))
}

/// A Redis server on loopback that speaks TLS only, with a certificate for `localhost` and
/// `127.0.0.1` signed by a CA made for it; its `url` is `rediss://127.0.0.1:PORT`.
struct TlsRedis {
    server: Redis,
    port: u16,
    /// The CA that signed the server's certificate.
    ca: PathBuf,
    /// Another CA, that signed nothing the server shows.
    other_ca: PathBuf,
}

fn redis_tls(name: &str, extra: &[&str]) -> TlsRedis {
    let dir = tempdir(name);
    let ca = make_ca(&dir, "ca");
    let other_ca = make_ca(&dir, "other-ca");
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        &dir,
        "req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
         -keyout server.key -out server.csr -subj /CN=localhost",
    );
    openssl(
        &dir,
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
         -extfile server.ext -out server.pem",
    );
    let port = free_port();
    let path = |file: &str| dir.join(file).to_str().unwrap().to_owned();
    let port_args = [
        "--port".to_owned(),
        "0".to_owned(),
        "--tls-port".to_owned(),
        port.to_string(),
        "--tls-cert-file".to_owned(),
        path("server.pem"),
        "--tls-key-file".to_owned(),
        path("server.key"),
        "--tls-ca-cert-file".to_owned(),
        path("ca.pem"),
        "--tls-auth-clients".to_owned(),
        "no".to_owned(),
    ];
    let url = format!("rediss://127.0.0.1:{port}");
    let server = start_redis(&port_args, port, extra, dir, url);
    TlsRedis {
        server,
        port,
        ca,
        other_ca,
    }
}

fn quota(requests: u32, millis: u64) -> RateLimit {
    RateLimit {
        requests,
        period: Duration::from_millis(millis),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_limiters_on_one_server_share_the_quota_and_a_burst_goes_at_once() {
    let server = redis("share");
    let url = RedisUrl::new(&server.url).unwrap();
    // A quota no test outlasts: nothing frees while the slots are counted.
    let limit = quota(5, 600_000);
    let a = std::sync::Arc::new(RateLimiter::redis(limit, &url, "acct-1"));
    let b = std::sync::Arc::new(RateLimiter::redis(limit, &url, "acct-1"));
    let other = RateLimiter::redis(limit, &url, "acct-2");
    assert_eq!(a.store(), QuotaStore::Redis(url.clone()));
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let limiter = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                match limiter.try_acquire().await.unwrap() {
                    Ok(permit) => {
                        permit.release().await;
                        None
                    }
                    Err(wait) => Some(wait),
                }
            })
        })
        .collect();
    let mut waits = Vec::new();
    for task in tasks {
        waits.push(task.await.unwrap());
    }
    // A quiet account: 5 at once, from both limiters together; the other 7 are told to wait,
    // at most one period.
    let granted = waits.iter().filter(|w| w.is_none()).count();
    assert_eq!(granted, 5, "{waits:?}");
    for wait in waits.iter().flatten() {
        assert!(*wait > Duration::ZERO && *wait <= limit.period, "{waits:?}");
    }
    assert!(a.try_acquire().await.unwrap().is_err());
    assert!(b.try_acquire().await.unwrap().is_err());
    // Another key is another quota.
    assert!(other.try_acquire().await.unwrap().is_ok());
}

/// The least time the server's log lets `n` requests take at `requests` per `period`: the
/// request at index `k * requests` needs `k` whole periods (each of its slots was taken after
/// the start). A lower bound only: a slow machine takes longer, never less.
fn least_time(n: usize, requests: usize, period: Duration) -> Duration {
    period * ((n - 1) / requests) as u32
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_beyond_the_quota_wait_for_slots_to_free() {
    let server = redis("wait");
    let url = RedisUrl::new(&server.url).unwrap();
    let limit = quota(5, 1000);
    let a = std::sync::Arc::new(RateLimiter::redis(limit, &url, "acct-1"));
    let b = std::sync::Arc::new(RateLimiter::redis(limit, &url, "acct-1"));
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
    for task in tasks {
        times.push(task.await.unwrap());
    }
    times.sort();
    // Every request went, and the 6th and the 11th each waited for a window to pass (on the
    // server's clock: a little slack for the two clocks' rates).
    assert_eq!(times.len(), 12);
    let slack = Duration::from_millis(50);
    for k in [5, 10] {
        let least = least_time(k + 1, 5, limit.period);
        assert!(times[k] + slack >= least, "request {k}: {times:?}");
    }
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
async fn an_unreachable_server_is_a_clear_error() {
    let url = RedisUrl::new(&format!(
        "redis://:pw-not-shown-123@127.0.0.1:{}",
        free_port()
    ))
    .unwrap();
    let error = QuotaStore::Redis(url.clone())
        .check()
        .await
        .unwrap_err()
        .to_string();
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
async fn three_processes_stay_within_one_quota_through_redis() {
    let server = redis("three");
    let mock = threatbind_mock::serve(
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
    // quota each would take one). How soon after is a matter of speed (benches/quota.rs).
    let least = least_time(90, 20, Duration::from_secs(1));
    assert!(took + Duration::from_millis(50) >= least, "{took:?}");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_store_stops_enrich_before_anything_is_sent() {
    let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), Options::default())
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

#[tokio::test(flavor = "multi_thread")]
async fn a_rediss_server_with_its_ca_file_is_used_and_two_limiters_share_the_quota() {
    let server = redis_tls("tls-share", &["--requirepass", "tls-pass-5e1d"]);
    for host in ["127.0.0.1", "localhost"] {
        let url = RedisUrl::new(&format!("rediss://:tls-pass-5e1d@{host}:{}/2", server.port))
            .unwrap()
            .with_ca_file(&server.ca)
            .unwrap();
        assert_eq!(url.ca_file(), Some(server.ca.as_path()));
        assert!(!format!("{url} {url:?}").contains("tls-pass-5e1d"));
        QuotaStore::Redis(url.clone()).check().await.unwrap();
        let limit = quota(3, 600_000);
        let key = format!("acct-{host}");
        let a = RateLimiter::redis(limit, &url, &key);
        let b = RateLimiter::redis(limit, &url, &key);
        for limiter in [&a, &b, &a] {
            limiter
                .try_acquire()
                .await
                .unwrap()
                .unwrap()
                .release()
                .await;
        }
        assert!(a.try_acquire().await.unwrap().is_err(), "{host}");
        assert!(b.try_acquire().await.unwrap().is_err(), "{host}");
    }
}

#[tokio::test]
async fn a_rediss_server_whose_certificate_is_not_trusted_is_named_with_the_problem() {
    // Also on 127.0.0.2, a name its certificate does not give.
    let server = redis_tls("tls-untrusted", &["--bind", "127.0.0.1", "127.0.0.2"]);
    let plain = RedisUrl::new(&server.server.url).unwrap();
    let other_ca = plain.clone().with_ca_file(&server.other_ca).unwrap();
    for url in [plain, other_ca] {
        let error = QuotaStore::Redis(url.clone()).check().await.unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains(&format!("127.0.0.1:{}", server.port)) && text.contains("certificate"),
            "{text}"
        );
        let limiter = RateLimiter::redis(quota(1, 1000), &url, "k");
        assert!(limiter.acquire().await.is_err(), "no local fallback");
    }
    // The certificate names localhost and 127.0.0.1: another address of this machine is
    // refused even with the right CA.
    let url = RedisUrl::new(&format!("rediss://127.0.0.2:{}", server.port))
        .unwrap()
        .with_ca_file(&server.ca)
        .unwrap();
    let text = QuotaStore::Redis(url)
        .check()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("127.0.0.2") && text.contains("certificate not valid for name"),
        "{text}"
    );
}

/// `threatbind <global args> datadog ioc --indicator 8.8.8.8` against `base`, with a cache of
/// its own under `dir`.
fn datadog_ioc(base: &str, dir: &Path, global: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_threatbind"))
        .env_clear()
        .env("DD_API_KEY", "dd-secret-api")
        .env("DD_APP_KEY", "dd-secret-app")
        .env("THREATBIND_CACHE_DIR", dir.join("cache"))
        .args(["--base-url", base, "--retries", "0"])
        .args(global)
        .args(["datadog", "ioc", "--indicator", "8.8.8.8"])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_uses_rediss_with_its_ca_file_and_stops_before_sending_without_it() {
    let server = redis_tls("tls-cli", &[]);
    let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), Options::default())
        .await
        .unwrap();
    let dir = tempdir("tls-cli-runs");
    let store = format!("rediss://localhost:{}", server.port);
    let ca = server.ca.to_str().unwrap();
    let other_ca = server.other_ca.to_str().unwrap();
    // Untrusted: no CA file, or one of another CA. Exit 2 naming the server and the
    // certificate; nothing reaches the vendor.
    for extra in [vec![], vec!["--quota-store-ca-file", other_ca]] {
        let mut global = vec!["--quota-store", store.as_str()];
        global.extend(&extra);
        let output = datadog_ioc(mock.base_url(), &dir, &global);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(
            stderr.contains(&store) && stderr.contains("certificate"),
            "{stderr}"
        );
        assert_eq!(mock.stats().requests, 0, "{stderr}");
    }
    // Trusted through the flag, then through the variable.
    let output = datadog_ioc(
        mock.base_url(),
        &dir,
        &["--quota-store", &store, "--quota-store-ca-file", ca],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(mock.stats().requests, 1);
    let output = Command::new(env!("CARGO_BIN_EXE_threatbind"))
        .env_clear()
        .env("DD_API_KEY", "dd-secret-api")
        .env("DD_APP_KEY", "dd-secret-app")
        .env("THREATBIND_CACHE_DIR", dir.join("cache"))
        .env("THREATBIND_QUOTA_STORE", &store)
        .env("THREATBIND_QUOTA_STORE_CA_FILE", ca)
        .args(["--base-url", mock.base_url(), "--retries", "0"])
        .args(["datadog", "ioc", "--indicator", "8.8.8.8"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(mock.stats().requests, 2);
    // A CA file for a store that is not TLS is a mistake, named.
    let output = datadog_ioc(
        mock.base_url(),
        &dir,
        &[
            "--quota-store",
            &server.server.url.replace("rediss", "redis"),
            "--quota-store-ca-file",
            ca,
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--quota-store-ca-file"), "{stderr}");
    assert_eq!(mock.stats().requests, 2);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_over_plain_redis_beyond_loopback_is_refused_unless_allowed() {
    let server = redis_with("cleartext", &["--requirepass", "clear-pass-8c41"]);
    let port = server.url.rsplit(':').next().unwrap();
    let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), Options::default())
        .await
        .unwrap();
    let dir = tempdir("cleartext-runs");
    // The refusal is decided from the URL before any connection (the library's own tests
    // cover hosts such as 10.1.2.3 without contacting them). 0.0.0.0 is not loopback for the
    // check, yet a connection to it stays on this machine: Linux takes it as a local address,
    // so even a broken check sends nothing off the machine, and the allowed run reaches the
    // server above.
    let store = format!("redis://:clear-pass-8c41@0.0.0.0:{port}");
    let output = datadog_ioc(mock.base_url(), &dir, &["--quota-store", &store]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("clear text") && stderr.contains("--allow-insecure-quota-store"),
        "{stderr}"
    );
    assert!(!stderr.contains("clear-pass-8c41"), "{stderr}");
    assert_eq!(mock.stats().requests, 0);
    let output = datadog_ioc(
        mock.base_url(),
        &dir,
        &["--quota-store", &store, "--allow-insecure-quota-store"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: --allow-insecure-quota-store"),
        "{stderr}"
    );
    assert!(!stderr.contains("clear-pass-8c41"), "{stderr}");
    assert_eq!(mock.stats().requests, 1);
    // The library refuses the same URL, and allows it when asked to.
    let error = RedisUrl::new(&store).unwrap_err();
    assert!(matches!(error, threatbind::Error::Config { .. }), "{error}");
    assert!(!error.to_string().contains("clear-pass-8c41"));
    let allowed = RedisUrl::new_allowing_cleartext(&store).unwrap();
    QuotaStore::Redis(allowed).check().await.unwrap();
    // Loopback needs no permission.
    let loopback = format!("redis://:clear-pass-8c41@127.0.0.1:{port}");
    let output = datadog_ioc(mock.base_url(), &dir, &["--quota-store", &loopback]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("clear text"), "{stderr}");
    mock.shutdown().await;
}

/// Takes a slot that must be free now, and stamps it as completed.
async fn take(limiter: &RateLimiter) {
    limiter
        .try_acquire()
        .await
        .unwrap()
        .unwrap()
        .release()
        .await;
}

#[tokio::test]
async fn a_limiter_reconnects_on_the_next_call_after_the_server_went_away() {
    let port = free_port();
    let port_args = ["--port".to_owned(), port.to_string()];
    let url = format!("redis://127.0.0.1:{port}");
    let server = start_redis(&port_args, port, &[], tempdir("reconnect-1"), url.clone());
    let limiter = RateLimiter::redis(quota(2, 600_000), &RedisUrl::new(&url).unwrap(), "k");
    take(&limiter).await;
    drop(server);
    let error = limiter.try_acquire().await.unwrap_err();
    assert!(matches!(error, threatbind::Error::QuotaStore(_)), "{error}");
    assert!(error.to_string().contains(&url), "{error}");
    // A new server (empty: the quota starts again) on the same address.
    let _server = start_redis(&port_args, port, &[], tempdir("reconnect-2"), url);
    take(&limiter).await;
    take(&limiter).await;
    assert!(limiter.try_acquire().await.unwrap().is_err());
}

#[tokio::test]
async fn a_server_that_never_answers_is_an_error_not_a_hang() {
    // Accepts connections and never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().take(4) {
            open.push(stream);
        }
    });
    for scheme in ["redis", "rediss"] {
        let url = RedisUrl::new(&format!("{scheme}://127.0.0.1:{port}")).unwrap();
        let error = QuotaStore::Redis(url)
            .check()
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!("127.0.0.1:{port}")) && error.contains("no answer within"),
            "{error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_killed_mid_run_stops_enrich_with_no_record_for_it_and_resume_finishes() {
    let server = redis("killed");
    let mock = threatbind_mock::serve("127.0.0.1:0".parse().unwrap(), Options::default())
        .await
        .unwrap();
    let dir = tempdir("killed-run");
    let n = 40;
    let input = dir.join("in.txt");
    let lines: String = (0..n).map(|i| format!("10.9.0.{i}\n")).collect();
    std::fs::write(&input, lines).unwrap();
    let out = dir.join("out.jsonl");
    let cache = dir.join("cache");
    // 20 lookups a second: the run takes two seconds at least.
    let mut child = enrich(mock.base_url(), &server.url, &cache, &input, &out)
        .spawn()
        .unwrap();
    let count = |path: &Path| {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .count()
    };
    // Until five records are written, or the run ended (then the checks below fail, naming
    // what it did): no clock, the run bounds itself.
    while count(&out) < 5 && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(server);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("quota store") && stderr.contains("--resume"),
        "{stderr}"
    );
    // Only answers were written, in order; the store's failure is no indicator's record.
    let text = std::fs::read_to_string(&out).unwrap();
    let written: Vec<&str> = text.lines().collect();
    assert!(written.len() >= 5 && written.len() < n, "{text}");
    for (i, line) in written.iter().enumerate() {
        assert!(
            line.starts_with(&format!(
                r#"{{"line":{},"input":"10.9.0.{i}","indicator":"10.9.0.{i}","type":"IP","ok":true"#,
                i + 1
            )),
            "{line}"
        );
    }
    // The store is back (a new server): --resume looks up exactly the rest.
    let sent_before = mock.stats().requests;
    assert_eq!(sent_before, written.len() as u64, "sent but not written");
    let server = redis("killed-back");
    let output = enrich(mock.base_url(), &server.url, &cache, &input, &out)
        .arg("--resume")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), n);
    assert!(text.lines().all(|l| l.contains(r#""ok":true"#)), "{text}");
    assert_eq!(mock.stats().requests, n as u64);
    mock.shutdown().await;
}
