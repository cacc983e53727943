//! Reading the knowledge file and lexicons from disk (or the embedded defaults) into the
//! core's validated values. This is the only place the CLI and connectors read data files.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use std::sync::Arc;

use copydesk_core::model::Model;
use copydesk_core::{Checker, Desk, KnowledgeBase, Lexicon};

use crate::cli::{DataArgs, ModelArgs};

/// The example knowledge file, embedded so `copydesk` runs with no files at all.
pub const EXAMPLE_KNOWLEDGE: &str = include_str!("../examples/knowledge.toml");
const EXAMPLE_KNOWLEDGE_NAME: &str = "<embedded examples/knowledge.toml>";

/// Reads a file as UTF-8, naming the file in the error.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Loads and validates a knowledge file, or the embedded example when `path` is `None`.
pub fn knowledge(path: Option<&Path>) -> anyhow::Result<KnowledgeBase> {
    let Some(path) = path else {
        return Ok(KnowledgeBase::parse(
            EXAMPLE_KNOWLEDGE_NAME,
            EXAMPLE_KNOWLEDGE,
        )?);
    };
    let text = read_text(path)?;
    Ok(KnowledgeBase::parse(&path.display().to_string(), &text)?)
}

/// The embedded lexicons with each file in `extra` layered over them, in order.
pub fn lexicon(extra: &[PathBuf]) -> anyhow::Result<Lexicon> {
    let files = extra
        .iter()
        .map(|path| Ok((path.display().to_string(), read_text(path)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(o, t)| (o.as_str(), t.as_str()))
        .collect();
    Ok(Lexicon::embedded_with(&borrowed)?)
}

/// The model the checker consults, or `None` when it is switched off.
pub fn model(choice: &ModelArgs) -> anyhow::Result<Option<Model>> {
    if choice.no_model {
        return Ok(None);
    }
    let model = match &choice.path {
        None => Model::embedded(),
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Model::from_bytes(&bytes)
                .with_context(|| format!("{}: not a usable model file", path.display()))?
        }
    };
    let model = match choice.threshold {
        Some(threshold) => model.with_threshold(threshold),
        None => model,
    };
    Ok(Some(match choice.veto {
        Some(veto) => model.with_veto(veto),
        None => model,
    }))
}

/// The checker: embedded lexicons with `lexicons` laid over them, plus the chosen model.
pub fn checker(lexicons: &[PathBuf], model_choice: &ModelArgs) -> anyhow::Result<Checker> {
    let checker = Checker::new(lexicon(lexicons)?);
    Ok(match model(model_choice)? {
        Some(model) => checker.with_scorer(Arc::new(model)),
        None => checker,
    })
}

/// A desk built from command-line data options.
pub fn desk(data: &DataArgs, prefix: &str) -> anyhow::Result<Desk> {
    let knowledge = knowledge(data.knowledge.as_deref())?;
    let checker = checker(&data.lexicons, &data.model)?;
    Ok(Desk::new(knowledge, checker, prefix))
}
