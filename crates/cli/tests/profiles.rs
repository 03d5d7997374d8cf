//! Profiles: the real `threatbind` binary with a config file of many tenants, against loopback
//! servers. Variables come from the chosen profile (inline or from a command), the environment
//! may not contradict it, flags beat both, and secrets stay out of listings and files others
//! can read.

#[path = "../../../tests/common/mod.rs"]
mod common;
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use support::{run, stderr, stdout};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A fresh directory for one test, with `config` written in it at `mode`.
fn config(test: &str, text: &str, mode: u32) -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("profiles-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.toml");
    std::fs::write(&file, text).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    (dir, file)
}

/// A Datadog lookup answered once, when sent with these two keys.
async fn datadog(api_key: &str, app_key: &str, times: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/security/siem/ioc-explorer/indicator"))
        .and(query_param("indicator", "8.8.8.8"))
        .and(header("dd-api-key", api_key))
        .and(header("dd-application-key", app_key))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::fixture(
            "datadog-ioc",
            "getIndicatorOfCompromise",
            "response.200.ip.json",
        )))
        .expect(times)
        .mount(&server)
        .await;
    server
}

const LOOKUP: [&str; 4] = ["datadog", "ioc", "--indicator", "8.8.8.8"];

#[tokio::test]
async fn a_profile_gives_the_variables_and_a_command_runs_once_for_its_secret() {
    let server = datadog("key-from-command", "acme-app-key", 2).await;
    let (dir, file) = config("command", "", 0o600);
    let count = dir.join("runs");
    std::fs::write(
        &file,
        format!(
            "[profiles.acme]\n\
             DD_API_KEY_COMMAND = \"echo run >> '{}'; printf '  key-from-command\\\\n'\"\n\
             DD_APP_KEY = \"acme-app-key\"\n\
             DD_BASE_URL = \"{}\"\n\
             [profiles.globex]\n\
             DD_API_KEY = \"globex-key\"\n",
            count.display(),
            server.uri()
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let mut args = vec!["-vv", "--profile", "acme"];
    args.extend(LOOKUP);
    let out = run(&[("THREATBIND_CONFIG", file)], &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&count).unwrap(), "run\n");
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        !all.contains("key-from-command"),
        "the command's secret leaked: {all}"
    );
    assert!(!all.contains("acme-app-key"), "a key leaked: {all}");

    // THREATBIND_PROFILE chooses as --profile does.
    let out = run(
        &[("THREATBIND_CONFIG", file), ("THREATBIND_PROFILE", "acme")],
        &LOOKUP,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&count).unwrap(), "run\nrun\n");
}

#[tokio::test]
async fn the_config_file_is_found_under_xdg_config_home_then_home() {
    let server = datadog("xdg-key", "xdg-app", 2).await;
    let text = format!(
        "[profiles.acme]\nDD_API_KEY = \"xdg-key\"\nDD_APP_KEY = \"xdg-app\"\nDD_BASE_URL = \"{}\"\n",
        server.uri()
    );
    let (dir, file) = config("xdg", &text, 0o600);
    let xdg = dir.join("xdg");
    std::fs::create_dir_all(xdg.join("threatbind")).unwrap();
    std::fs::rename(&file, xdg.join("threatbind/config.toml")).unwrap();
    let mut args = vec!["--profile", "acme"];
    args.extend(LOOKUP);
    let out = run(&[("XDG_CONFIG_HOME", xdg.to_str().unwrap())], &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let home = dir.join("home");
    std::fs::create_dir_all(home.join(".config")).unwrap();
    std::fs::rename(xdg.join("threatbind"), home.join(".config/threatbind")).unwrap();
    let out = run(&[("HOME", home.to_str().unwrap())], &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[tokio::test]
async fn the_environment_may_not_contradict_the_profile_and_flags_beat_both() {
    let silent = datadog("never", "never", 0).await;
    let text = format!(
        "[profiles.acme]\nDD_API_KEY = \"acme-key\"\nDD_APP_KEY = \"acme-app\"\nDD_BASE_URL = \"{}\"\n",
        silent.uri()
    );
    let (_, file) = config("conflict", &text, 0o600);
    let file = file.to_str().unwrap();
    let mut args = vec!["--profile", "acme"];
    args.extend(LOOKUP);

    // Another tenant's key in the shell: refused, named, nothing sent.
    let out = run(
        &[("THREATBIND_CONFIG", file), ("DD_API_KEY", "globex-key")],
        &args,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("DD_API_KEY") && stderr(&out).contains("\"acme\""),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("globex-key") && !stderr(&out).contains("acme-key"));

    // The same value twice is no contradiction; --base-url beats the profile's DD_BASE_URL.
    let server = datadog("acme-key", "acme-app", 1).await;
    let mut args = vec!["--profile", "acme", "--base-url", server.uri().leak()];
    args.extend(LOOKUP);
    let out = run(
        &[("THREATBIND_CONFIG", file), ("DD_APP_KEY", "acme-app")],
        &args,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[tokio::test]
async fn a_commands_value_that_contradicts_the_environment_or_a_failing_command_stops_the_run() {
    let silent = datadog("never", "never", 0).await;
    let text = format!(
        "[profiles.acme]\nDD_API_KEY_COMMAND = \"echo from-command\"\nDD_APP_KEY_COMMAND = \"echo oops >&2; exit 3\"\nDD_BASE_URL = \"{}\"\n",
        silent.uri()
    );
    let (_, file) = config("command-conflict", &text, 0o600);
    let file = file.to_str().unwrap();
    let mut args = vec!["--profile", "acme"];
    args.extend(LOOKUP);
    let out = run(
        &[("THREATBIND_CONFIG", file), ("DD_API_KEY", "from-env")],
        &args,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("DD_API_KEY: is set by the environment"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("from-command") && !stderr(&out).contains("from-env"));

    let out = run(&[("THREATBIND_CONFIG", file)], &args).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("DD_APP_KEY_COMMAND") && stderr(&out).contains("exit status: 3"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_file_with_an_inline_secret_that_others_can_read_is_refused() {
    let (_, file) = config(
        "mode",
        "[profiles.acme]\nDD_API_KEY = \"inline-secret\"\nDD_SITE = \"datadoghq.eu\"\n",
        0o644,
    );
    let path = file.to_str().unwrap();
    let mut args = vec!["--profile", "acme"];
    args.extend(LOOKUP);
    let out = run(&[("THREATBIND_CONFIG", path)], &args).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(path) && stderr(&out).contains("mode 0644"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("inline-secret"));
    let out = run(&[("THREATBIND_CONFIG", path)], &["profiles"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // Without a secret inline (a server, a command), a readable file is fine.
    let (_, file) = config(
        "mode-ok",
        "[profiles.acme]\nDD_API_KEY_COMMAND = \"echo k\"\nDD_SITE = \"datadoghq.eu\"\n",
        0o644,
    );
    let out = run(
        &[("THREATBIND_CONFIG", file.to_str().unwrap())],
        &["profiles"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // ... but commands in a file others can write would run as the user.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = run(
        &[("THREATBIND_CONFIG", file.to_str().unwrap())],
        &["profiles"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("mode 0666"), "{}", stderr(&out));
}

#[tokio::test]
async fn profiles_lists_each_profile_its_apis_and_its_variables_with_secrets_hidden() {
    let (_, file) = config(
        "list",
        "[profiles.acme]\n\
         LOG360_REGION = \"eu\"\n\
         LOG360_ACCOUNT_ID = \"18XXXXX4\"\n\
         LOG360_REFRESH_TOKEN_COMMAND = \"pass show acme/log360\"\n\
         DD_API_KEY = \"dd-inline-secret\"\n\
         DD_SITE = \"datadoghq.eu\"\n\
         [profiles.globex]\n\
         NAMESHIELD_TOKEN_COMMAND = \"pass show globex/nameshield\"\n",
        0o600,
    );
    let out = run(
        &[("THREATBIND_CONFIG", file.to_str().unwrap())],
        &["profiles"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("acme\n  APIs: datadog, log360\n"), "{text}");
    assert!(text.contains("globex\n  APIs: nameshield\n"), "{text}");
    assert!(text.contains("  LOG360_REGION = eu\n"), "{text}");
    assert!(text.contains("  DD_SITE = datadoghq.eu\n"), "{text}");
    assert!(text.contains("  DD_API_KEY = ***\n"), "{text}");
    assert!(
        text.contains("  LOG360_REFRESH_TOKEN = *** (from a command)\n"),
        "{text}"
    );
    assert!(
        !text.contains("dd-inline-secret") && !text.contains("pass show"),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_variables_missing_profiles_and_files_are_named() {
    let (_, file) = config(
        "unknown",
        "[profiles.acme]\nDD_SITEE = \"datadoghq.eu\"\n",
        0o600,
    );
    let path = file.to_str().unwrap();
    let out = run(&[("THREATBIND_CONFIG", path)], &["profiles"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("[profiles.acme] DD_SITEE: is not a variable of any API"),
        "{}",
        stderr(&out)
    );

    let (_, file) = config(
        "missing",
        "[profiles.acme]\nDD_SITE = \"datadoghq.eu\"\n[profiles.globex]\n",
        0o600,
    );
    let path = file.to_str().unwrap();
    let mut args = vec!["--profile", "initech"];
    args.extend(LOOKUP);
    let out = run(&[("THREATBIND_CONFIG", path)], &args).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--profile")
            && stderr(&out).contains("no profile \"initech\"")
            && stderr(&out).contains("it has: acme, globex"),
        "{}",
        stderr(&out)
    );

    let out = run(
        &[
            ("THREATBIND_CONFIG", "/nonexistent/threatbind.toml"),
            ("THREATBIND_PROFILE", "acme"),
        ],
        &LOOKUP,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("THREATBIND_PROFILE")
            && stderr(&out).contains("/nonexistent/threatbind.toml"),
        "{}",
        stderr(&out)
    );

    let (_, file) = config("not-toml", "[profiles.acme\nDD_SITE = 1\n", 0o600);
    let path = file.to_str().unwrap();
    let out = run(&[("THREATBIND_CONFIG", path)], &["profiles"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not a valid config file at line 1"),
        "{}",
        stderr(&out)
    );
    // A secret on a line toml cannot read is not quoted back (toml's own message would).
    let (_, file) = config(
        "broken-secret",
        "[profiles.acme]\nDD_API_KEY = \"unterminated-secret\n",
        0o600,
    );
    let out = run(
        &[("THREATBIND_CONFIG", file.to_str().unwrap())],
        &["profiles"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("at line 2"), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("unterminated-secret"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn help_names_the_profile_variables() {
    let out = run(&[], &["--help"]).await;
    let help = stdout(&out);
    assert!(
        help.contains("--profile <NAME>")
            && help.contains("THREATBIND_PROFILE")
            && help.contains("THREATBIND_CONFIG"),
        "{help}"
    );
}

#[tokio::test]
async fn a_profile_that_configures_an_api_takes_none_of_its_variables_from_the_environment() {
    let silent = datadog("never", "never", 0).await;
    let text = format!(
        "[profiles.acme]\nDD_API_KEY_COMMAND = \"echo acme-key\"\nDD_BASE_URL = \"{}\"\n",
        silent.uri()
    );
    let (_, file) = config("partial", &text, 0o600);
    let file = file.to_str().unwrap();
    let mut args = vec!["--profile", "acme"];
    args.extend(LOOKUP);
    // Another tenant's application key left in the shell would go along with acme's key.
    let out = run(
        &[
            ("THREATBIND_CONFIG", file),
            ("DD_APP_KEY", "globex-app-key"),
        ],
        &args,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("DD_APP_KEY: is set by the environment, and profile \"acme\""),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("globex-app-key"));
    // An API the profile does not configure still reads the environment.
    let out = run(
        &[
            ("THREATBIND_CONFIG", file),
            ("NAMESHIELD_TOKEN", "ns-token"),
            ("NAMESHIELD_BASE_URL", silent.uri().as_str()),
        ],
        &["--profile", "acme", "nameshield", "events", "--dry-run"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
