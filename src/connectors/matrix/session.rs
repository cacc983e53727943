//! Logging in once, and restoring that login on every later start.
//!
//! The first start logs in (password or access token) and immediately writes the session
//! (user, device id, access token) to `data_dir/session.json`, readable only by the bot's
//! user. Every later start restores it together with the SQLite store in `data_dir/store`,
//! so the bot keeps one device and one set of encryption keys for its whole life: a new
//! device per start would leave every encrypted room unable to decrypt for the others'
//! old sessions, and fill users' device lists.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::RequestConfig;
use matrix_sdk::encryption::EncryptionSettings;
use matrix_sdk::store::RoomLoadSettings;
use matrix_sdk::{Client, SessionMeta, SessionTokens, SqliteStoreConfig};
use serde::{Deserialize, Serialize};

use super::retry;
use crate::config::{Login, MatrixConfig};

/// `session.json`: enough to restore the login.
#[derive(Serialize, Deserialize)]
struct SavedSession {
    homeserver_url: String,
    session: MatrixSession,
}

fn session_path(data_dir: &Path) -> PathBuf {
    data_dir.join("session.json")
}

fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join("store")
}

/// A logged-in client: restored from `data_dir`, or freshly logged in (then `true`).
pub async fn connect(config: &MatrixConfig) -> anyhow::Result<(Client, bool)> {
    let session_file = session_path(&config.data_dir);
    let store = store_path(&config.data_dir);
    let passphrase = config
        .store_passphrase
        .as_ref()
        .map(|s| s.read())
        .transpose()?;

    if session_file.exists() {
        let saved: SavedSession = serde_json::from_slice(
            &std::fs::read(&session_file)
                .with_context(|| format!("cannot read {}", session_file.display()))?,
        )
        .with_context(|| format!("{} is damaged", session_file.display()))?;
        if saved.session.meta.user_id != config.user_id {
            bail!(
                "{} belongs to {}, not to {}; use another data_dir for another account",
                config.data_dir.display(),
                saved.session.meta.user_id,
                config.user_id
            );
        }
        let client = build(config, &store, passphrase.as_deref()).await?;
        client
            .matrix_auth()
            .restore_session(saved.session, RoomLoadSettings::default())
            .await
            .context("restoring the saved session")?;
        tracing::info!(
            user = %config.user_id,
            device = ?client.device_id(),
            "restored the saved session"
        );
        return Ok((client, false));
    }

    if store.exists() {
        // A store without a session is left over from a first login that was interrupted
        // before session.json was written. Its keys belong to a device nobody can use;
        // keeping it would clash with the new device's keys.
        let aside = config.data_dir.join(format!(
            "store.orphaned-{}",
            jiff::Timestamp::now().as_second()
        ));
        tracing::warn!(
            store = %store.display(),
            aside = %aside.display(),
            "found a store but no session.json; moving the store aside and logging in afresh"
        );
        std::fs::rename(&store, &aside)
            .with_context(|| format!("moving {} aside", store.display()))?;
    }
    let client = build(config, &store, passphrase.as_deref()).await?;
    let session = match &config.login {
        Login::Password(secret) => {
            let password = secret.read()?;
            login_with_password(&client, config, &password).await?
        }
        Login::AccessToken(secret) => {
            let token = secret.read()?;
            session_for_token(config, &token).await?
        }
    };
    save(&session_file, config, &session)?;
    if matches!(config.login, Login::AccessToken(_)) {
        client
            .matrix_auth()
            .restore_session(session.clone(), RoomLoadSettings::default())
            .await
            .context("using the access token")?;
        let device = session.meta.device_id.clone();
        if let Err(error) = client.rename_device(&device, &config.device_name).await {
            tracing::warn!(%error, "could not set the device name");
        }
    }
    tracing::info!(
        user = %config.user_id,
        device = %session.meta.device_id,
        "logged in; session saved in data_dir"
    );
    Ok((client, true))
}

async fn build(
    config: &MatrixConfig,
    store: &Path,
    passphrase: Option<&str>,
) -> anyhow::Result<Client> {
    Client::builder()
        .homeserver_url(config.homeserver_url.as_str())
        // A bot needs no big SQLite page caches or connection pools (the defaults suit an
        // app with many views open); this keeps its memory well under 60 MB.
        .sqlite_store_with_config_and_cache_path(
            SqliteStoreConfig::with_low_memory_config(store).passphrase(passphrase),
            None::<&Path>,
        )
        // Requests (other than the long-polling /sync) should not hang forever on a
        // half-dead connection; failures are retried by our loops.
        .request_config(RequestConfig::new().timeout(std::time::Duration::from_secs(60)))
        .with_encryption_settings(EncryptionSettings {
            // The bot has no other device to verify it from; leave cross-signing alone.
            auto_enable_cross_signing: false,
            ..Default::default()
        })
        .build()
        .await
        .context("setting up the Matrix client and its store")
}

/// Logs in with the password, retrying while the homeserver cannot be reached.
async fn login_with_password(
    client: &Client,
    config: &MatrixConfig,
    password: &str,
) -> anyhow::Result<MatrixSession> {
    let mut failures = 0;
    loop {
        let attempt = client
            .matrix_auth()
            .login_username(config.user_id.as_str(), password)
            .initial_device_display_name(&config.device_name)
            .send()
            .await;
        match attempt {
            Ok(response) => return Ok(MatrixSession::from(&response)),
            Err(error) if retry::is_transient(&error) => {
                let delay = retry::delay_after(&error, failures);
                tracing::warn!(%error, ?delay, "cannot reach the homeserver to log in; retrying");
                failures += 1;
                tokio::time::sleep(delay).await;
            }
            Err(error) => {
                return Err(error).with_context(|| format!("logging in as {}", config.user_id));
            }
        }
    }
}

/// The session an access token belongs to: `whoami` tells its device.
async fn session_for_token(config: &MatrixConfig, token: &str) -> anyhow::Result<MatrixSession> {
    #[derive(Deserialize)]
    struct WhoAmI {
        user_id: matrix_sdk::ruma::OwnedUserId,
        device_id: Option<matrix_sdk::ruma::OwnedDeviceId>,
    }
    let url = config
        .homeserver_url
        .join("_matrix/client/v3/account/whoami")
        .context("building the whoami address")?;
    let http = matrix_sdk::reqwest::Client::new();
    let mut failures = 0;
    let response = loop {
        match http.get(url.clone()).bearer_auth(token).send().await {
            Ok(response) => break response,
            Err(error) => {
                let delay = retry::backoff(failures);
                tracing::warn!(%error, ?delay, "cannot reach the homeserver; retrying");
                failures += 1;
                tokio::time::sleep(delay).await;
            }
        }
    };
    if !response.status().is_success() {
        bail!(
            "the homeserver refused the access token ({}): is it valid for {}?",
            response.status(),
            config.user_id
        );
    }
    let body = response
        .bytes()
        .await
        .context("reading the whoami answer")?;
    let who: WhoAmI = serde_json::from_slice(&body).context("reading the whoami answer")?;
    if who.user_id != config.user_id {
        bail!(
            "the access token belongs to {}, not to user_id {}",
            who.user_id,
            config.user_id
        );
    }
    let Some(device_id) = who.device_id else {
        bail!("the access token has no device; log in with a password instead");
    };
    Ok(MatrixSession {
        meta: SessionMeta {
            user_id: who.user_id,
            device_id,
        },
        tokens: SessionTokens {
            access_token: token.to_owned(),
            refresh_token: None,
        },
    })
}

fn save(path: &Path, config: &MatrixConfig, session: &MatrixSession) -> anyhow::Result<()> {
    let saved = SavedSession {
        homeserver_url: config.homeserver_url.to_string(),
        session: session.clone(),
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(&serde_json::to_vec_pretty(&saved)?)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}
