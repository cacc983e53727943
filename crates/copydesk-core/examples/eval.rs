//! A tiny runner for tuning the checker: `cargo run --release -p copydesk-core --example
//! eval -- CASES.jsonl [--kb KNOWLEDGE.toml] [--json] [--width N]`, or `-- --explain TEXT` to see one message's findings.
//!
//! The real command is `copydesk eval`; this one exists so the checker can be measured
//! without the rest of the bot.

use std::process::ExitCode;

use copydesk_core::eval::{evaluate, parse_cases};
use copydesk_core::{Checker, KnowledgeBase};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut cases_path = None;
    let mut kb_path = None;
    let mut json = false;
    let mut width = 110;
    let mut explain = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--kb" => kb_path = args.next(),
            "--json" => json = true,
            "--explain" => explain = args.next(),
            "--width" => width = args.next().and_then(|w| w.parse().ok()).unwrap_or(width),
            _ => cases_path = Some(arg),
        }
    }
    if let Some(text) = explain {
        let kb = KnowledgeBase::parse("(none)", "").expect("empty knowledge parses");
        let report = Checker::default().check(&kb, &text);
        for s in &report.sentences {
            println!("{:?} {:?}", s.verdict, &text[s.span.clone()]);
            for f in &s.findings {
                println!(
                    "    {:?} {} {:?}: {}",
                    f.verdict,
                    f.rule,
                    &text[f.span.clone()],
                    f.message
                );
            }
        }
        return ExitCode::SUCCESS;
    }
    let Some(cases_path) = cases_path else {
        eprintln!("usage: eval CASES.jsonl [--kb KNOWLEDGE.toml] [--json] [--width N]");
        return ExitCode::from(2);
    };
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| eprintln!("{path}: {e}"));
    let Ok(cases_text) = read(&cases_path) else {
        return ExitCode::from(2);
    };
    let kb = match &kb_path {
        Some(path) => {
            let Ok(text) = read(path) else {
                return ExitCode::from(2);
            };
            KnowledgeBase::parse(path, &text)
        }
        None => KnowledgeBase::parse("(none)", ""),
    };
    let kb = match kb {
        Ok(kb) => kb,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let cases = match parse_cases(&cases_path, &cases_text) {
        Ok(cases) => cases,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let report = evaluate(&Checker::default(), &kb, &cases);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serializes")
        );
    } else {
        print!("{}", report.render(width));
    }
    ExitCode::SUCCESS
}
