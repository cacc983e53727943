//! `copydesk`: parse the command line, run one entry point, turn its outcome into an exit
//! code. Errors are printed once, one line per problem, never as a backtrace.

use std::process::ExitCode;

use clap::Parser;

use copydesk::cli::{Cli, Command};
use copydesk::run;
use copydesk::status::Status;

/// mimalloc, because loading a knowledge file allocates and frees many small values on
/// several threads, where glibc's allocator spends its time consolidating; transparent huge
/// pages off (`no_thp`), because a small bot does not need them. BENCHMARKS.md has the
/// measurements.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Both aws-lc-rs (matrix-sdk's) and ring (slack-morphism's) are compiled into rustls,
    // so it cannot pick a crypto provider by itself and would panic at the first TLS
    // client, in Matrix and Slack alike. Installed first, before any client is built.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or_default();
    let log_format = match &command {
        Command::Run(args) => copydesk::logging::configured_format(&args.config),
        _ => copydesk::logging::LogFormat::Text,
    };
    copydesk::logging::init(cli.verbose, command.default_log_level(), log_format);
    let is_bot = matches!(command, Command::Run(_));
    let result = match command {
        Command::Console(args) => run::console(args),
        Command::Context(args) => run::context(args),
        Command::Check(args) => run::check(args),
        Command::Kb(args) => run::kb(args),
        Command::Eval(args) => run::eval(args),
        Command::Run(args) => run::bot(args),
        Command::Train(args) => copydesk::train::run(args),
        Command::Audit(args) => run::audit(args),
    };
    match result {
        Ok(status) => status.into(),
        // The reader went away (`copydesk eval ... | head`): nothing left to say.
        Err(error) if is_broken_pipe(&error) => Status::Success.into(),
        // A bot's log is what its operator reads and alerts on: what stopped it (a revoked
        // token, a store that cannot be opened, a configuration mistake) is an ERROR line
        // there, in the log's format, rather than a bare line beside it.
        Err(error) if is_bot => {
            tracing::error!("copydesk stopped: {error:#}");
            Status::Error.into()
        }
        Err(error) => {
            // `{:#}` joins anyhow's context chain on one line ("reading x.toml: No such
            // file"); located errors carry their own file:line:column, one per line.
            eprintln!("copydesk: {error:#}");
            Status::Error.into()
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
