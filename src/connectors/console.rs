//! The console connector: copydesk in a terminal or a pipe.
//!
//! Each input line is one chat message. The output is what the bot would post in a room:
//! command answers, and warnings for messages that need one; clean messages get silence,
//! as in a room.

use std::io::{self, BufRead, Write};

use copydesk_core::commands::warning_reply;
use copydesk_core::{Desk, Outcome};
use jiff::civil::Date;

/// Reads messages from `input` until end of input, writing replies to `output`. With
/// `interactive`, prints a greeting and a prompt for a person at a terminal.
pub fn run(
    desk: &Desk,
    today: impl Fn() -> Date,
    input: impl BufRead,
    mut output: impl Write,
    interactive: bool,
) -> io::Result<()> {
    if interactive {
        writeln!(
            output,
            "copydesk console: type {p}help for commands, or a sentence to check. Ctrl-D quits.",
            p = desk.prefix()
        )?;
        prompt(&mut output)?;
    }
    for line in input.lines() {
        let line = line?;
        let reply = match desk.handle(&line, today()) {
            Outcome::Answer { reply, .. } => Some(reply),
            Outcome::Checked { report } => warning_reply(&report, &line),
            Outcome::Ignored => None,
        };
        if let Some(reply) = reply {
            writeln!(output, "{}\n", reply.to_plain())?;
        }
        if interactive {
            prompt(&mut output)?;
        }
        output.flush()?;
    }
    if interactive {
        writeln!(output)?;
    }
    Ok(())
}

fn prompt(output: &mut impl Write) -> io::Result<()> {
    write!(output, "> ")?;
    output.flush()
}
