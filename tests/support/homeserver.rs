//! The homeserver under test: where it is, registering users on it, and
//! stopping, killing and starting it for the recovery tests and the fault tool.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use matrix_sdk::reqwest;
use matrix_sdk::ruma::OwnedUserId;
use sha1::Sha1;

use super::client::TestClient;

const ENV_HOMESERVER: &str = "COPYDESK_TEST_HOMESERVER";
const ENV_SECRET: &str = "COPYDESK_TEST_SHARED_SECRET";
const ENV_DIR: &str = "COPYDESK_TEST_SYNAPSE_DIR";

/// A running Synapse that tests may register users on.
#[derive(Clone, Debug)]
pub struct Homeserver {
    /// Base URL clients use directly, e.g. `http://127.0.0.1:38211`.
    pub url: String,
    /// Synapse's directory (config, database, pid file, log), if known.
    pub synapse_dir: Option<PathBuf>,
    shared_secret: String,
    // matrix-sdk's own reqwest: a separate dependency with other features
    // would make cargo rebuild matrix-sdk between `cargo build` and `cargo test`.
    http: reqwest::Client,
}

fn in_ci() -> bool {
    match std::env::var("CI") {
        Ok(v) => !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"),
        Err(_) => false,
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Homeserver {
    /// The homeserver `scripts/test` started, or `None` (after printing
    /// "skipped: no homeserver; run scripts/test") when there is none.
    ///
    /// Under CI (`CI` set) a missing homeserver panics: nothing is skipped
    /// silently there.
    pub fn from_env() -> Option<Homeserver> {
        super::init_tracing();
        let Some(url) = non_empty_env(ENV_HOMESERVER) else {
            if in_ci() {
                panic!(
                    "{ENV_HOMESERVER} is not set but CI is: integration tests must run \
                     against a real homeserver; run them through scripts/test"
                );
            }
            eprintln!("skipped: no homeserver; run scripts/test");
            return None;
        };
        let synapse_dir = non_empty_env(ENV_DIR).map(PathBuf::from);
        let shared_secret = non_empty_env(ENV_SECRET)
            .or_else(|| {
                let dir = synapse_dir.as_ref()?;
                std::fs::read_to_string(dir.join("shared_secret"))
                    .ok()
                    .map(|s| s.trim().to_owned())
            })
            .unwrap_or_else(|| {
                panic!("{ENV_HOMESERVER} is set but neither {ENV_SECRET} nor {ENV_DIR} is")
            });
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("building an HTTP client");
        Some(Homeserver {
            url: url.trim_end_matches('/').to_owned(),
            synapse_dir,
            shared_secret,
            http,
        })
    }

    /// Registers a fresh user whose localpart starts with `name_prefix`
    /// (lower-cased) and returns its user id and password.
    pub async fn register_user(&self, name_prefix: &str) -> (OwnedUserId, String) {
        self.register(name_prefix, false).await
    }

    /// Like [`register_user`](Self::register_user) but a server admin.
    pub async fn register_admin(&self, name_prefix: &str) -> (OwnedUserId, String) {
        self.register(name_prefix, true).await
    }

    /// Registers a user with exactly this localpart (fails if it exists).
    pub async fn register_exact(
        &self,
        localpart: &str,
        password: &str,
        admin: bool,
    ) -> OwnedUserId {
        self.try_register_exact(localpart, password, admin)
            .await
            .unwrap_or_else(|e| panic!("registering {localpart}: {e}"))
    }

    async fn register(&self, name_prefix: &str, admin: bool) -> (OwnedUserId, String) {
        let localpart = unique_localpart(name_prefix);
        let password = format!("pw-{}", unique_localpart("secret"));
        let user_id = self.register_exact(&localpart, &password, admin).await;
        (user_id, password)
    }

    async fn try_register_exact(
        &self,
        localpart: &str,
        password: &str,
        admin: bool,
    ) -> Result<OwnedUserId, String> {
        let endpoint = format!("{}/_synapse/admin/v1/register", self.url);
        let nonce: serde_json::Value = self
            .http
            .get(&endpoint)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("getting a registration nonce: {e}"))?
            .bytes()
            .await
            .map_err(|e| format!("reading the nonce: {e}"))
            .and_then(|b| {
                serde_json::from_slice(&b).map_err(|e| format!("parsing the nonce: {e}"))
            })?;
        let nonce = nonce["nonce"].as_str().ok_or("no nonce in the answer")?;

        let mut mac = Hmac::<Sha1>::new_from_slice(self.shared_secret.as_bytes())
            .expect("HMAC accepts any key length");
        mac.update(nonce.as_bytes());
        mac.update(b"\0");
        mac.update(localpart.as_bytes());
        mac.update(b"\0");
        mac.update(password.as_bytes());
        mac.update(b"\0");
        mac.update(if admin { b"admin" } else { b"notadmin" });
        let mac = hex::encode(mac.finalize().into_bytes());

        let body = serde_json::json!({
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac,
        });
        let response = self
            .http
            .post(&endpoint)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("posting the registration: {e}"))?;
        let status = response.status();
        let answer = response
            .bytes()
            .await
            .map_err(|e| format!("reading the registration answer ({status}): {e}"))?;
        let answer: serde_json::Value = serde_json::from_slice(&answer).map_err(|e| {
            format!(
                "registration answer ({status}) is not JSON: {e}: {}",
                String::from_utf8_lossy(&answer)
            )
        })?;
        if !status.is_success() {
            return Err(format!("HTTP {status}: {answer}"));
        }
        let user_id = answer["user_id"]
            .as_str()
            .ok_or_else(|| format!("no user_id in {answer}"))?;
        OwnedUserId::try_from(user_id).map_err(|e| format!("bad user id {user_id}: {e}"))
    }

    /// Registers a fresh user and logs a [`TestClient`] in as it.
    pub async fn new_client(&self, name_prefix: &str) -> TestClient {
        let (user_id, password) = self.register_user(name_prefix).await;
        TestClient::login(self, &user_id, &password).await
    }

    /// Logs a [`TestClient`] in as an existing user.
    pub async fn login(&self, user_id: &OwnedUserId, password: &str) -> TestClient {
        TestClient::login(self, user_id, password).await
    }

    /// Stops Synapse (SIGTERM, then SIGKILL after 10 s) via `scripts/synapse stop`.
    pub async fn stop_homeserver(&self) {
        self.synapse_script("stop").await;
    }

    /// Kills Synapse with SIGKILL, as a crash would, via `scripts/synapse kill`.
    pub async fn kill_homeserver(&self) {
        self.synapse_script("kill").await;
    }

    /// Starts Synapse again on the same port and directory via
    /// `scripts/synapse start`; returns once it answers requests.
    pub async fn start_homeserver(&self) {
        self.synapse_script("start").await;
    }

    fn dir(&self) -> &Path {
        self.synapse_dir.as_deref().unwrap_or_else(|| {
            panic!("{ENV_DIR} is not set: this test needs to control Synapse; run scripts/test")
        })
    }

    async fn synapse_script(&self, action: &'static str) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/synapse");
        let dir = self.dir().to_owned();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new("bash")
                .arg(&script)
                .arg(action)
                .arg(&dir)
                .stdin(std::process::Stdio::null())
                .output()
        })
        .await
        .expect("joining the scripts/synapse runner")
        .unwrap_or_else(|e| panic!("running scripts/synapse {action}: {e}"));
        if !output.status.success() {
            panic!(
                "scripts/synapse {action} failed ({}):\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

/// A localpart that no other test (in this run or any earlier run against
/// the same server) uses: the lower-cased prefix, then a per-process tag and
/// a counter.
pub fn unique_localpart(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let clean: String = prefix
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || "._=-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = if clean.is_empty() {
        "user".to_owned()
    } else {
        clean
    };
    format!("{clean}-{}-{n}", process_tag())
}

/// Process id and start time, base-36: distinct across concurrent test
/// binaries and across runs.
fn process_tag() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 40);
        base36(mixed)
    })
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}
