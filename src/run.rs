//! Entry points, one per subcommand. Each returns the exit status or an error for `main` to
//! print once.

use std::io::{self, BufRead, BufReader, IsTerminal, Write};

use anyhow::Context as _;
use copydesk_core::knowledge::Lookup;
use copydesk_core::{Outcome, Verdict};
use jiff::civil::Date;
use serde::Serialize;

use crate::cli::{
    AuditArgs, CheckArgs, ConsoleArgs, ContextArgs, DEFAULT_PREFIX, DataArgs, EvalArgs, KbArgs,
    KbCommand, RunArgs,
};
use crate::connectors::console;
use crate::loading;
use crate::status::Status;

/// The date staleness is judged against: `--today`, else the local calendar date.
fn today(data: &DataArgs) -> Date {
    data.today.unwrap_or_else(crate::operations::today)
}

/// `copydesk console`: the bot in a terminal, or over a pipe.
pub fn console(args: ConsoleArgs) -> anyhow::Result<Status> {
    let desk = loading::desk(&args.data, &args.prefix)?;
    let stdin = io::stdin();
    let interactive = stdin.is_terminal() && io::stdout().is_terminal();
    let fixed_today = args.data.today;
    let today = || fixed_today.unwrap_or_else(|| jiff::Zoned::now().date());
    console::run(&desk, today, stdin.lock(), io::stdout().lock(), interactive)
        .context("console input/output failed")?;
    Ok(Status::Success)
}

/// `copydesk context TOPIC`: print the `!context` answer; exit 1 when there is no such topic.
pub fn context(args: ContextArgs) -> anyhow::Result<Status> {
    let desk = loading::desk(&args.data, DEFAULT_PREFIX)?;
    let topic = args.topic.join(" ");
    let found = matches!(desk.knowledge().lookup(&topic), Lookup::Found(_));
    let Outcome::Answer { reply, .. } =
        desk.command(&format!("context {topic}"), today(&args.data))
    else {
        unreachable!("a command line always gets an answer");
    };
    println!("{}", reply.to_plain());
    Ok(if found {
        Status::Success
    } else {
        Status::Attention
    })
}

#[derive(Serialize)]
struct CheckedLine<'a> {
    line: usize,
    verdict: Verdict,
    findings: Vec<&'a copydesk_core::Finding>,
    /// The classifier's score for each sentence it was asked about (byte span, score).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scores: Vec<(std::ops::Range<usize>, f32)>,
}

/// `copydesk check [FILE|-]`: one message per line; exit 1 if any needs attention.
pub fn check(args: CheckArgs) -> anyhow::Result<Status> {
    let desk = loading::desk(&args.data, DEFAULT_PREFIX)?;
    let input: Box<dyn BufRead> = match &args.input {
        Some(path) if path.as_os_str() != "-" => Box::new(BufReader::new(
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?,
        )),
        _ => Box::new(io::stdin().lock()),
    };
    let mut out = io::stdout().lock();
    let (mut checked, mut needing_attention) = (0usize, 0usize);
    for (index, line) in input.lines().enumerate() {
        let line = line.context("reading input")?;
        let number = index + 1;
        let report = desk.checker().check(desk.knowledge(), &line);
        let verdict = report.verdict();
        checked += 1;
        if verdict > Verdict::Ok {
            needing_attention += 1;
        }
        if args.json {
            let findings = report.sentences.iter().flat_map(|s| &s.findings).collect();
            let scores = report
                .sentences
                .iter()
                .filter_map(|s| s.score.map(|score| (s.span.clone(), score)))
                .collect();
            let record = CheckedLine {
                line: number,
                verdict,
                findings,
                scores,
            };
            serde_json::to_writer(&mut out, &record)?;
            writeln!(out)?;
        } else if let Some(warning) = copydesk_core::commands::warning_reply(&report, &line) {
            writeln!(out, "{number}: {}", verdict.as_str())?;
            for text_line in warning.to_plain().lines() {
                writeln!(out, "    {text_line}")?;
            }
        }
    }
    if !args.json {
        writeln!(
            out,
            "{needing_attention} of {checked} messages need attention"
        )?;
    }
    Ok(if needing_attention > 0 {
        Status::Attention
    } else {
        Status::Success
    })
}

/// `copydesk kb check FILE`: validate a knowledge file.
pub fn kb(args: KbArgs) -> anyhow::Result<Status> {
    match args.command {
        KbCommand::Check { file } => {
            let text = loading::read_text(&file)?;
            match copydesk_core::KnowledgeBase::parse(&file.display().to_string(), &text) {
                Ok(kb) => {
                    let allegations = kb.allegations().count();
                    println!(
                        "{}: ok ({} topics, {allegations} allegations, version {})",
                        file.display(),
                        kb.topics().len(),
                        kb.version()
                    );
                    Ok(Status::Success)
                }
                Err(errors) => {
                    eprintln!("{errors}");
                    eprintln!(
                        "{}: {} problem(s); fix them and run `copydesk kb check` again",
                        file.display(),
                        errors.0.len()
                    );
                    Ok(Status::Error)
                }
            }
        }
    }
}

/// `copydesk eval CASES.jsonl`: score the checker on labeled cases.
pub fn eval(args: EvalArgs) -> anyhow::Result<Status> {
    use copydesk_core::eval;
    let desk = loading::desk(&args.data, DEFAULT_PREFIX)?;
    let model = if args.no_sweep {
        None
    } else {
        loading::model(&args.data.model)?.map(std::sync::Arc::new)
    };
    let rules_only = copydesk_core::Checker::new(loading::lexicon(&args.data.lexicons)?);
    let mut out = std::io::stdout().lock();
    let mut summary = Vec::new();
    let mut json = Vec::new();
    for path in &args.cases {
        let name = path.display().to_string();
        let text = loading::read_text(path)?;
        let cases = eval::parse_cases(&name, &text)?;
        let report = eval::evaluate(desk.checker(), desk.knowledge(), &cases);
        // The sweep shows the same cases with rules only and with the model at several
        // thresholds, so an editor can see what the model adds and pick a threshold.
        let sweep = model.as_ref().map_or_else(Vec::new, |model| {
            copydesk_core::model::sweep::threshold_sweep(
                &rules_only,
                model.clone(),
                desk.knowledge(),
                &cases,
                copydesk_core::model::sweep::DEFAULT_THRESHOLDS,
            )
        });
        if args.json {
            let mut value = serde_json::to_value(&report)?;
            value["file"] = name.clone().into();
            value["sweep"] = serde_json::to_value(&sweep)?;
            json.push(value);
        } else {
            if args.cases.len() > 1 {
                writeln!(out, "== {name}")?;
            }
            write!(out, "{}", report.render(100))?;
            if !sweep.is_empty() {
                writeln!(out, "\nWith and without the model (same cases):")?;
                write!(out, "{}", copydesk_core::model::sweep::render_sweep(&sweep))?;
            }
            writeln!(out)?;
        }
        summary.push((name, report));
    }
    if args.json {
        let value = match json.len() {
            1 => json.remove(0),
            _ => serde_json::Value::Array(json),
        };
        writeln!(out, "{value}")?;
    } else {
        write!(out, "{}", eval::render_summary(&summary))?;
    }
    Ok(Status::Success)
}

/// `copydesk run --config FILE`: the bot in Matrix, in Slack, or in both from one
/// process (one desk, reloaded for both; each connector with its own `data_dir`).
///
/// Reads and validates the configuration and the knowledge file, then runs until SIGINT
/// or SIGTERM (exit 0). Configuration problems exit 2 before anything touches the network.
pub fn bot(args: RunArgs) -> anyhow::Result<Status> {
    let config = crate::config::Config::load(&args.config)?;
    let started = std::time::Instant::now();
    let reloader = crate::operations::reload::Reloader::from_files(
        config.bot.knowledge.clone(),
        config.bot.lexicons.clone(),
        config.bot.model.clone(),
        config.bot.prefix.clone(),
    )?;
    let desk = reloader.desk();
    tracing::info!(
        version = desk.knowledge().version(),
        topics = desk.knowledge().topics().len(),
        took_ms = started.elapsed().as_millis() as u64,
        "knowledge and lexicons loaded"
    );
    drop(desk);
    let reloader = std::sync::Arc::new(reloader);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        use crate::connectors::{matrix, slack};
        use crate::operations::metrics::{self, Metrics, Platform};
        // One for the process: with both connectors, one listener shows both.
        let platforms: Vec<Platform> = [
            config.matrix.as_ref().map(|_| Platform::Matrix),
            config.slack.as_ref().map(|_| Platform::Slack),
        ]
        .into_iter()
        .flatten()
        .collect();
        let metrics =
            std::sync::Arc::new(Metrics::new(config.ops.metrics.max_sync_age, &platforms));
        if config.ops.metrics.enabled {
            // Bound before connecting, so a taken port stops the bot at start.
            let listener = metrics::bind(config.ops.metrics.listen).await?;
            tokio::spawn(metrics::serve(listener, metrics.clone()));
        }
        match (&config.matrix, &config.slack) {
            (Some(_), None) => matrix::serve(&config, reloader, metrics).await,
            (None, Some(_)) => slack::serve(&config, reloader, metrics, slack::Alone::Yes).await,
            // Matrix serves the file watcher for both. A fatal error in either stops the
            // process, so a supervisor restarts both.
            _ => tokio::try_join!(
                matrix::serve(&config, reloader.clone(), metrics.clone()),
                slack::serve(&config, reloader, metrics, slack::Alone::No)
            )
            .map(|_| ()),
        }
    })?;
    Ok(Status::Success)
}

/// `copydesk audit [FILE | --data-dir DIR]`: summarise the audit log per day, per rule
/// and per room. Exit 2 when there is no log to read.
pub fn audit(args: AuditArgs) -> anyhow::Result<Status> {
    let files = match (&args.file, &args.data_dir) {
        (Some(file), _) => vec![file.clone()],
        (None, Some(dir)) => {
            let files = crate::operations::audit::files_in(dir);
            if files.is_empty() {
                anyhow::bail!(
                    "no audit log in {} (looked for {}*)",
                    dir.display(),
                    crate::operations::audit::FILE_NAME
                );
            }
            files
        }
        (None, None) => anyhow::bail!("give an audit log FILE or --data-dir DIR"),
    };
    let mut summary = crate::operations::audit::Summary::default();
    for file in &files {
        summary.read(file)?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print!("{}", summary.render());
    }
    Ok(Status::Success)
}
