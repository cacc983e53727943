//! The warning for a checked message, and what each finding means for the writer.

use super::echo;
use crate::checker::{Finding, MessageReport, Verdict};
use crate::reply::{Inline, Reply};

/// The warning for a checked message, or `None` when every sentence is ok.
pub fn warning_reply(report: &MessageReport, message: &str) -> Option<Reply> {
    let alarms: Vec<&Finding> = report.alarms().collect();
    if alarms.is_empty() {
        return None;
    }
    let heading = match report.verdict() {
        Verdict::Flag => "Attribution needed",
        _ => "Vague sourcing",
    };
    let items = alarms
        .iter()
        .map(|finding| {
            let mut line = Vec::new();
            if let Some(trigger) = message
                .get(finding.span.clone())
                .filter(|t| !t.trim().is_empty())
            {
                line.push(Inline::emphasis(format!("“{}”", echo(trigger.trim()))));
                line.push(Inline::text(if finding.allegation.is_some() {
                    " "
                } else {
                    ": "
                }));
            }
            line.extend(finding_explanation(finding));
            line
        })
        .collect();
    Some(
        Reply::new()
            .heading(vec![Inline::text(heading)])
            .list(items),
    )
}

/// What a finding means for the writer. For a known allegation the structured record says
/// it all (who made it, where, how to attribute it), so the rule's generic message is
/// replaced rather than repeated.
pub(super) fn finding_explanation(finding: &Finding) -> Vec<Inline> {
    let Some(allegation) = &finding.allegation else {
        return vec![Inline::text(&finding.message)];
    };
    let lead = match finding.verdict {
        Verdict::Flag => "repeats, as fact, an allegation made by ",
        _ => "is vague sourcing for an allegation made by ",
    };
    let source = &allegation.source;
    vec![
        Inline::text(lead),
        Inline::strong(format!(
            "{} ({})",
            allegation.made_by.name, allegation.made_by.role
        )),
        Inline::text(", reported by "),
        Inline::link(
            format!("{}, “{}”", source.outlet, source.title),
            &source.url,
        ),
        Inline::text(format!(
            " ({}; status: {}). Attribute it, e.g. ",
            source.date, allegation.status
        )),
        Inline::code(&allegation.attributed),
    ]
}
