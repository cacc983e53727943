//! The command line (clap derive). `copydesk` with no subcommand runs the console.
//!
//! Dependencies go one way: the entry points (`run`) and the shared argument groups'
//! users (`loading`, `config`, `reload`) import from here, and this module imports only the
//! arguments a command keeps beside its code (`train::TrainArgs`). Such a command module
//! never imports `cli`; the exit status every command returns is in `status.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "copydesk", version, about = "A newsroom chat bot: sourced background on demand, warnings for unattributed allegations", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Chat with copydesk in the terminal: commands are answered, other lines checked.
    Console(ConsoleArgs),
    /// Print the background answer for a topic, as `!context TOPIC` would.
    Context(ContextArgs),
    /// Check each input line as one message; exit 1 if anything needs attention.
    Check(CheckArgs),
    /// Knowledge-file tools.
    Kb(KbArgs),
    /// Score the attribution checker on labeled cases (JSON Lines).
    Eval(EvalArgs),
    /// Run the bot in Matrix and/or Slack, as the configuration file says.
    Run(RunArgs),
    /// Learn the "needs attribution" model from an attribution corpus (brat) and labeled
    /// JSON Lines, and write the model file.
    Train(crate::train::TrainArgs),
    /// Summarise the bot's audit log per day, per rule and per room.
    Audit(AuditArgs),
}

impl Default for Command {
    fn default() -> Self {
        Command::Console(ConsoleArgs::default())
    }
}

impl Command {
    /// Long-running services log at info by default; one-shot tools only warn.
    pub fn default_log_level(&self) -> tracing::Level {
        match self {
            Command::Run(_) => tracing::Level::INFO,
            _ => tracing::Level::WARN,
        }
    }
}

/// Where the knowledge and lexicons come from; defaults are embedded in the binary.
#[derive(Debug, Clone, Default, Args)]
pub struct DataArgs {
    /// Knowledge file (TOML). Default: the embedded example knowledge file.
    #[arg(long, value_name = "FILE")]
    pub knowledge: Option<PathBuf>,
    /// Extra lexicon file layered over the embedded lexicons (repeatable).
    #[arg(long = "lexicon", value_name = "FILE")]
    pub lexicons: Vec<PathBuf>,
    /// Judge staleness as of this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    pub today: Option<jiff::civil::Date>,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// The learned "needs attribution" model the checker consults where its rules find
/// neither attribution nor a vague source. Default: the model embedded in the binary.
#[derive(Debug, Clone, Default, Args)]
pub struct ModelArgs {
    /// Model file (from `copydesk train`) instead of the embedded model.
    #[arg(long = "model", value_name = "FILE", conflicts_with = "no_model")]
    pub path: Option<PathBuf>,
    /// Score at or above which an open sentence counts as an allegation (0..1).
    /// Default: the threshold stored in the model file.
    #[arg(long = "model-threshold", value_name = "T", value_parser = parse_threshold)]
    pub threshold: Option<f32>,
    /// Score below which the model overrules an accusation the rules found (0..1; 0 never).
    /// Default: the veto stored in the model file.
    #[arg(long = "model-veto", value_name = "V", value_parser = parse_threshold)]
    pub veto: Option<f32>,
    /// Rules only: do not consult the model.
    #[arg(long = "no-model")]
    pub no_model: bool,
}

fn parse_threshold(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(t) if (0.0..=1.0).contains(&t) => Ok(t),
        _ => Err(format!("{text:?} is not a threshold between 0 and 1")),
    }
}

/// The command prefix when none is configured.
pub const DEFAULT_PREFIX: &str = "!";

#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Command prefix.
    #[arg(long, default_value = DEFAULT_PREFIX, value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub prefix: String,
}

impl Default for ConsoleArgs {
    fn default() -> Self {
        ConsoleArgs {
            data: DataArgs::default(),
            prefix: DEFAULT_PREFIX.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ContextArgs {
    /// Topic slug or alias.
    #[arg(required = true, num_args = 1..)]
    pub topic: Vec<String>,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Input file, one message per line; `-` or nothing reads stdin.
    #[arg(value_name = "FILE|-")]
    pub input: Option<PathBuf>,
    /// One JSON object per input line: {"line", "verdict", "findings"}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Debug, Clone, Args)]
pub struct KbArgs {
    #[command(subcommand)]
    pub command: KbCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum KbCommand {
    /// Validate a knowledge file; exit 0 if valid, 2 with one line per problem.
    Check {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Labeled cases, one JSON object per line: id, text, label, kind, source. Several
    /// files are scored one by one and summed up in one table.
    #[arg(value_name = "CASES.jsonl", required = true)]
    pub cases: Vec<PathBuf>,
    /// Print JSON: one object per file with the confusion matrix and scores.
    #[arg(long)]
    pub json: bool,
    /// Leave out the with/without-model threshold sweep.
    #[arg(long)]
    pub no_sweep: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Configuration file (see config.toml.example).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// An audit log file (JSON Lines), e.g. a rotated `audit.jsonl.3`.
    #[arg(
        value_name = "FILE",
        required_unless_present = "data_dir",
        conflicts_with = "data_dir"
    )]
    pub file: Option<PathBuf>,
    /// The bot's data_dir: reads `audit.jsonl` and its rotated files, oldest first.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
}
