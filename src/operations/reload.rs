//! Hot reload: the knowledge file and the lexicon files are watched, and a change builds a
//! new `Desk` that is swapped in atomically.
//!
//! The current desk lives behind an `ArcSwap`. A handler takes an `Arc<Desk>` once
//! ([`Reloader::desk`]) and uses it to the end, so a message being checked during a swap
//! finishes on the old version and the next one sees the new. A file that fails
//! validation changes nothing: the last good desk keeps serving, and the problems, each
//! with its `file:line:column`, are reported so the connector can show them to editors.
//!
//! Editors' text editors rarely write a file in place: most write a temporary file and
//! rename it over the original, which replaces the inode a watch on the file itself
//! would follow. So the *folders* holding the files are watched, and events are matched
//! on file names. One save is several events (create, write, rename, chmod), so events
//! are debounced: the reload runs once the folder has been quiet for a moment.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use arc_swap::ArcSwap;
use copydesk_core::Desk;
use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Builds a desk from the files on disk; errors carry `file:line:column` per problem.
pub type Build = dyn Fn() -> anyhow::Result<Desk> + Send + Sync;

/// The default quiet time before a change is reloaded.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(500);

/// `[reload]` in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReloadSettings {
    /// Reload when the knowledge file or a lexicon file changes (`!reload` always works).
    pub watch: bool,
    /// Quiet time after the last change before reloading.
    pub debounce: Duration,
}

impl Default for ReloadSettings {
    fn default() -> Self {
        ReloadSettings {
            watch: true,
            debounce: DEFAULT_DEBOUNCE,
        }
    }
}

/// Owns the desk currently serving and rebuilds it on demand or on change.
pub struct Reloader {
    current: ArcSwap<Desk>,
    build: Box<Build>,
    files: Vec<PathBuf>,
    /// One rebuild at a time: a `!reload` racing the watcher must not swap in an older
    /// build after a newer one.
    rebuilding: Mutex<()>,
}

/// What one reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// A new desk was built and swapped in.
    Swapped {
        /// Knowledge file version before and after.
        before: String,
        after: String,
    },
    /// Building failed; the last good desk keeps serving.
    Failed {
        /// Version of the knowledge file still serving.
        serving: String,
        /// One line per problem, `file:line:column: message` where the place is known.
        problems: Vec<String>,
    },
}

impl Reloader {
    /// A reloader serving `desk`, rebuilding with `build`, watching `files` (the knowledge
    /// file and lexicon files; embedded defaults have no file).
    pub fn new(
        desk: Desk,
        files: Vec<PathBuf>,
        build: impl Fn() -> anyhow::Result<Desk> + Send + Sync + 'static,
    ) -> Reloader {
        Reloader {
            current: ArcSwap::from_pointee(desk),
            build: Box::new(build),
            files,
            rebuilding: Mutex::new(()),
        }
    }

    /// A reloader for the knowledge file (`None`: the embedded example, never reloaded)
    /// and `lexicons` layered over the embedded lexicons, loaded now: a problem in them
    /// is an error here, before anything starts.
    pub fn from_files(
        knowledge: Option<PathBuf>,
        lexicons: Vec<PathBuf>,
        model: crate::cli::ModelArgs,
        prefix: String,
    ) -> anyhow::Result<Reloader> {
        let files = knowledge
            .iter()
            .chain(&lexicons)
            .chain(&model.path)
            .cloned()
            .collect();
        let build = move || -> anyhow::Result<Desk> {
            let kb = crate::loading::knowledge(knowledge.as_deref())?;
            let checker = crate::loading::checker(&lexicons, &model)?;
            Ok(Desk::new(kb, checker, prefix.clone()))
        };
        Ok(Reloader::new(build()?, files, build))
    }

    /// The desk serving now. Hold on to it for the whole of one message.
    pub fn desk(&self) -> Arc<Desk> {
        self.current.load_full()
    }

    /// The files a change to which triggers a reload.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Rebuilds the desk from disk now and swaps it in if it is valid. Blocking: call it
    /// from a blocking-friendly context (`spawn_blocking`) in async code.
    pub fn reload(&self) -> Reload {
        let _one_at_a_time = super::lock(&self.rebuilding);
        let before = self.desk().knowledge().version().to_owned();
        match (self.build)() {
            Ok(desk) => {
                let after = desk.knowledge().version().to_owned();
                crate::failpoint::hit("reload");
                self.current.store(Arc::new(desk));
                tracing::info!(%before, %after, "knowledge and lexicons reloaded");
                Reload::Swapped { before, after }
            }
            Err(error) => {
                let problems: Vec<String> = format!("{error:#}")
                    .lines()
                    .map(str::to_owned)
                    .filter(|l| !l.trim().is_empty())
                    .collect();
                tracing::warn!(
                    serving = %before,
                    problems = problems.len(),
                    "reload failed; the last good version keeps serving"
                );
                Reload::Failed {
                    serving: before,
                    problems,
                }
            }
        }
    }

    /// Starts watching the files: every change is reloaded after `debounce` of quiet, and
    /// what happened is sent on the returned channel (a failure is not repeated while the
    /// files keep failing the same way). Needs a Tokio runtime. Watching stops when the
    /// returned [`Watch`] is dropped.
    pub fn watch(
        self: &Arc<Self>,
        debounce: Duration,
    ) -> anyhow::Result<(Watch, mpsc::UnboundedReceiver<Reload>)> {
        let (changes_tx, mut changes) = mpsc::unbounded_channel::<()>();
        let names: HashSet<OsString> = self
            .files
            .iter()
            .filter_map(|f| f.file_name().map(OsString::from))
            .collect();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
                Ok(event) => {
                    if matches!(event.kind, EventKind::Access(_)) {
                        return;
                    }
                    let ours = event
                        .paths
                        .iter()
                        .any(|p| p.file_name().is_some_and(|n| names.contains(n)));
                    if ours {
                        let _ = changes_tx.send(());
                    }
                }
                Err(error) => tracing::warn!(%error, "watching the knowledge files failed"),
            })
            .context("starting the file watcher")?;
        for folder in self.folders() {
            watcher
                .watch(&folder, RecursiveMode::NonRecursive)
                .with_context(|| format!("watching {}", folder.display()))?;
            tracing::info!(folder = %folder.display(), "watching for knowledge and lexicon changes");
        }

        let (reports, reports_rx) = mpsc::unbounded_channel();
        let reloader = self.clone();
        let task = tokio::spawn(async move {
            let mut last_failure: Option<Vec<String>> = None;
            while changes.recv().await.is_some() {
                // Debounce: wait until no event has arrived for `debounce`.
                loop {
                    match tokio::time::timeout(debounce, changes.recv()).await {
                        Ok(Some(())) => continue,
                        Ok(None) => return,
                        Err(_quiet) => break,
                    }
                }
                let this = reloader.clone();
                let Ok(outcome) = tokio::task::spawn_blocking(move || this.reload()).await else {
                    continue;
                };
                if let Reload::Failed { problems, .. } = &outcome {
                    if last_failure.as_ref() == Some(problems) {
                        continue;
                    }
                    last_failure = Some(problems.clone());
                } else {
                    last_failure = None;
                }
                if reports.send(outcome).is_err() {
                    return;
                }
            }
        });
        Ok((
            Watch {
                _watcher: watcher,
                task,
            },
            reports_rx,
        ))
    }

    /// The folders holding the watched files, each once.
    fn folders(&self) -> Vec<PathBuf> {
        let mut folders: Vec<PathBuf> = Vec::new();
        for file in &self.files {
            let folder = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => Path::new(".").to_owned(),
            };
            if !folders.contains(&folder) {
                folders.push(folder);
            }
        }
        folders
    }
}

/// A running watch; dropping it stops watching and reloading.
pub struct Watch {
    _watcher: notify::RecommendedWatcher,
    task: JoinHandle<()>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loading;

    use crate::loading::EXAMPLE_KNOWLEDGE as GOOD;

    /// A reloader over a knowledge file in a temp folder and one extra lexicon file.
    fn setup() -> (tempfile::TempDir, PathBuf, Arc<Reloader>) {
        let dir = tempfile::tempdir().unwrap();
        let kb = dir.path().join("knowledge.toml");
        let lexicon = dir.path().join("house.toml");
        std::fs::write(&kb, GOOD).unwrap();
        std::fs::write(&lexicon, "").unwrap();
        let (k, l) = (kb.clone(), lexicon.clone());
        let build = move || -> anyhow::Result<Desk> {
            let knowledge = loading::knowledge(Some(&k))?;
            let lexicon = loading::lexicon(std::slice::from_ref(&l))?;
            Ok(Desk::new(
                knowledge,
                copydesk_core::Checker::new(lexicon),
                "!",
            ))
        };
        let desk = build().unwrap();
        let reloader = Arc::new(Reloader::new(desk, vec![kb.clone(), lexicon], build));
        (dir, kb, reloader)
    }

    /// Writes `text` the way most editors save: a temp file renamed over the original.
    fn save_by_rename(path: &Path, text: &str) {
        let tmp = path.with_extension("toml.swp~");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }

    fn changed(text: &str) -> String {
        text.replacen("title = ", "title = \"Changed\" # ", 1)
    }

    #[test]
    fn good_change_swaps_bad_change_keeps_the_old_desk_fix_swaps_again() {
        let (_dir, kb, reloader) = setup();
        let first = reloader.desk();
        let v1 = first.knowledge().version().to_owned();

        std::fs::write(&kb, changed(GOOD)).unwrap();
        let Reload::Swapped { before, after } = reloader.reload() else {
            panic!("a valid file swaps")
        };
        assert_eq!(before, v1);
        assert_ne!(after, v1);
        assert_eq!(reloader.desk().knowledge().version(), after);
        // The desk taken before the swap is still whole: in-flight work finishes on it.
        assert_eq!(first.knowledge().version(), v1);

        let broken = GOOD.replacen("\nupdated = ", "\nupdatd = ", 1);
        std::fs::write(&kb, &broken).unwrap();
        let Reload::Failed { serving, problems } = reloader.reload() else {
            panic!("an invalid file does not swap")
        };
        assert_eq!(serving, after);
        assert_eq!(reloader.desk().knowledge().version(), after);
        let place = format!("{}:", kb.display());
        assert!(
            problems.iter().all(|p| p.starts_with(&place)),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("updatd")),
            "{problems:?}"
        );

        std::fs::write(&kb, GOOD).unwrap();
        assert_eq!(
            reloader.reload(),
            Reload::Swapped {
                before: after,
                after: v1.clone()
            }
        );
        assert_eq!(reloader.desk().knowledge().version(), v1);
    }

    #[test]
    fn a_bad_lexicon_is_reported_with_its_place() {
        let (dir, _kb, reloader) = setup();
        std::fs::write(dir.path().join("house.toml"), "[[rule]]\nid = 3\n").unwrap();
        let Reload::Failed { problems, .. } = reloader.reload() else {
            panic!("an invalid lexicon does not swap")
        };
        assert!(problems[0].contains("house.toml:2:"), "{problems:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn watched_files_reload_on_save_by_rename() {
        let (_dir, kb, reloader) = setup();
        let v1 = reloader.desk().knowledge().version().to_owned();
        let (_watch, mut reports) = reloader.watch(Duration::from_millis(100)).unwrap();
        let next = async |reports: &mut mpsc::UnboundedReceiver<Reload>| {
            tokio::time::timeout(Duration::from_secs(10), reports.recv())
                .await
                .expect("a reload within 10s")
                .expect("the watch is running")
        };

        save_by_rename(&kb, &changed(GOOD));
        let Reload::Swapped { after: v2, .. } = next(&mut reports).await else {
            panic!("expected a swap")
        };
        assert_ne!(v2, v1);

        save_by_rename(&kb, "[[topic]\n");
        let Reload::Failed { serving, problems } = next(&mut reports).await else {
            panic!("expected a failure")
        };
        assert_eq!(serving, v2);
        assert!(problems[0].starts_with(&format!("{}:1:", kb.display())));
        assert_eq!(reloader.desk().knowledge().version(), v2);

        std::fs::write(&kb, GOOD).unwrap();
        assert_eq!(
            next(&mut reports).await,
            Reload::Swapped {
                before: v2,
                after: v1
            }
        );
    }
}
