//! TLS to a self-signed server (as on-premises servers often are): refused by default, trusted
//! with a CA file (`Settings::ca_file`, `--ca-file`, `<PREFIX>_CA_FILE`), or accepted blindly
//! only with the loudly named opt-out, which warns on every run. The server is a local Python
//! HTTPS server with the test certificates of `tests/tls/`.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use threatbind::nameshield_cti::NameshieldClient;
use threatbind::{call, Error, RetryPolicy, Settings};

const TOKEN: &str = "6f1c3c1e-7777-4000-8000-000000000077";

/// A local HTTPS server; killed when dropped.
struct Server {
    _child: common::KillOnDrop,
    port: u16,
}

fn tls(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/tls")
        .join(file)
}

fn server() -> Server {
    let mut child = Command::new("python3")
        .arg(tls("server.py"))
        .arg(tls("server.pem"))
        .arg(tls("server.key"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the test HTTPS server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().parse().expect("the server prints its port");
    Server {
        _child: common::KillOnDrop(child),
        port,
    }
}

async fn events(server: &Server, settings: Settings) -> threatbind::Result<()> {
    let client = NameshieldClient::builder()
        .token(TOKEN)
        .base_url(format!("https://localhost:{}", server.port))
        .settings(Settings {
            retry: RetryPolicy::none(),
            ..settings
        })
        .build()?;
    call(client.generated().list_threat_events().send())
        .await
        .map(drop)
}

#[tokio::test]
async fn a_self_signed_server_is_refused_trusted_with_its_ca_or_skipped_loudly() {
    let s = server();
    let refused = events(&s, Settings::default()).await.unwrap_err();
    assert!(matches!(refused, Error::Transport(_)), "{refused:?}");
    assert!(!refused.to_string().contains(TOKEN));

    let trusted = Settings {
        ca_file: Some(tls("ca.pem")),
        ..Settings::default()
    };
    events(&s, trusted).await.unwrap();

    let skipped = Settings {
        insecure_skip_tls_verify: true,
        ..Settings::default()
    };
    events(&s, skipped).await.unwrap();

    // The wrong CA is no better than none.
    let wrong = Settings {
        ca_file: Some(tls("server.pem")),
        ..Settings::default()
    };
    assert!(events(&s, wrong).await.is_err());

    let missing = Settings {
        ca_file: Some(tls("no-such-ca.pem")),
        ..Settings::default()
    };
    let err = events(&s, missing).await.unwrap_err();
    assert!(matches!(err, threatbind::Error::Config { .. }), "{err}");
    assert!(err.to_string().contains("no-such-ca.pem"), "{err}");
    let not_pem = Settings {
        ca_file: Some(tls("README.md")),
        ..Settings::default()
    };
    let err = events(&s, not_pem).await.unwrap_err();
    assert!(matches!(err, threatbind::Error::Config { .. }), "{err}");
}

#[test]
fn the_cli_takes_a_ca_file_and_warns_when_verification_is_off() {
    let s = server();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_threatbind"))
            .env_clear()
            .env("NAMESHIELD_TOKEN", TOKEN)
            .env(
                "NAMESHIELD_BASE_URL",
                format!("https://localhost:{}", s.port),
            )
            .args(["--retries", "0"])
            .args(extra)
            .args(["nameshield", "events"])
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ca = tls("ca.pem");
    let out = run(&["--ca-file", ca.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["--insecure-skip-tls-verify"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: --insecure-skip-tls-verify"),
        "{stderr}"
    );
    let out = run(&["--ca-file", "/nonexistent/ca.pem"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/ca.pem"));
}
