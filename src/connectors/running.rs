//! What every long-running connector shares: the lock on its `data_dir`, and the
//! shutdown signal.

use std::fs::File;
use std::path::Path;

use anyhow::Context as _;
use tokio::sync::watch;

/// Holds an exclusive lock on `data_dir/lock` while the bot runs: two bots sharing one
/// crypto store would corrupt it.
pub fn lock_data_dir(data_dir: &Path) -> anyhow::Result<File> {
    let path = data_dir.join("lock");
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    file.try_lock().map_err(|_| {
        anyhow::anyhow!(
            "another copydesk is running with data_dir {}",
            data_dir.display()
        )
    })?;
    Ok(file)
}

/// SIGINT (Ctrl-C) or SIGTERM, seen from anywhere in the run.
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    pub fn listen() -> anyhow::Result<Shutdown> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            let name = tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            };
            tracing::info!(signal = name, "shutting down");
            let _ = tx.send(true);
        });
        Ok(Shutdown(rx))
    }

    pub async fn requested(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}
