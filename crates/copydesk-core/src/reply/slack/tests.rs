//! The Slack renderer on invented strings, hostile input, Slack's limits and a real answer.

use serde_json::json;

use super::*;

/// The mrkdwn text of each block, checking on the way that every block is a verbatim
/// mrkdwn section within Slack's limits.
fn sections(message: &SlackMessage) -> Vec<&str> {
    assert!(message.blocks.len() <= BLOCK_LIMIT, "{message:#?}");
    assert!(message.text.chars().count() <= TEXT_LIMIT);
    message
        .blocks
        .iter()
        .map(|block| {
            assert_eq!(block["type"], "section", "{block}");
            assert_eq!(block["text"]["type"], "mrkdwn", "{block}");
            assert_eq!(block["text"]["verbatim"], true, "{block}");
            let text = block["text"]["text"].as_str().expect("section text");
            assert!(!text.trim().is_empty(), "{block}");
            assert!(text.chars().count() <= TEXT_LIMIT, "{block}");
            text
        })
        .collect()
}

fn paragraph(line: Vec<Inline>) -> Vec<String> {
    let message = Reply::new().paragraph(line).to_slack();
    sections(&message).into_iter().map(str::to_owned).collect()
}

/// The one section a one-paragraph reply renders to.
fn one(line: Vec<Inline>) -> String {
    let mut texts = paragraph(line);
    assert_eq!(texts.len(), 1, "{texts:?}");
    texts.remove(0)
}

/// No mention, channel link, broadcast or foreign link anywhere in the message: every `<`
/// opens a link this renderer built from one of `urls` (already encoded).
fn assert_inert(message: &SlackMessage, urls: &[&str]) {
    for text in sections(message).into_iter().chain([message.text.as_str()]) {
        for (at, _) in text.match_indices('<') {
            let rest = &text[at + 1..];
            assert!(
                urls.iter().any(|url| rest.starts_with(url)),
                "unexpected `<` at {at} in {text:?}"
            );
        }
        for banned in ["<!", "<@", "<#"] {
            assert!(!text.contains(banned), "{banned} in {text:?}");
        }
    }
}

#[test]
fn escape_mrkdwn_replaces_only_the_three_characters_slack_decodes() {
    assert_eq!(
        escape_mrkdwn("fish & chips <tonight> \"ask\" it's *so* _very_ ~cheap~ `now`"),
        "fish &amp; chips &lt;tonight&gt; \"ask\" it's *so* _very_ ~cheap~ `now`"
    );
    assert_eq!(escape_mrkdwn("&amp;"), "&amp;amp;");
}

#[test]
fn every_inline_kind_renders_as_mrkdwn() {
    assert_eq!(
        one(vec![
            Inline::text("The harbour "),
            Inline::strong("reopens"),
            Inline::text(" on "),
            Inline::emphasis("Tuesday"),
            Inline::text("; try "),
            Inline::code("!context harbour"),
            Inline::text(" or read "),
            Inline::link("the notice", "https://port.example/notice"),
            Inline::text("."),
        ]),
        "The harbour *reopens* on _Tuesday_; try `!context harbour` or read \
         <https://port.example/notice|the notice>."
    );
}

#[test]
fn blocks_are_verbatim_mrkdwn_sections_and_headings_are_bold() {
    let message = Reply::new()
        .heading(vec![
            Inline::text("Tide tables "),
            Inline::strong("(draft)"),
        ])
        .paragraph(vec![Inline::text("Low water at 06:12.")])
        .to_slack();
    assert_eq!(
        message.blocks,
        vec![
            json!({"type": "section", "text": {"type": "mrkdwn", "text": "*Tide tables (draft)*", "verbatim": true}}),
            json!({"type": "section", "text": {"type": "mrkdwn", "text": "Low water at 06:12.", "verbatim": true}}),
        ]
    );
    assert_eq!(message.text, "Tide tables (draft)\n\nLow water at 06:12.");
    let value = serde_json::to_value(&message).unwrap();
    assert_eq!(value["text"], message.text.as_str());
    assert_eq!(value["blocks"][0]["type"], "section");
}

#[test]
fn headings_are_one_line_and_stay_plain_when_they_show_a_star() {
    let heading = |line| sections(&Reply::new().heading(line).to_slack())[0].to_owned();
    assert_eq!(heading(vec![Inline::text("  Two\nlines  ")]), "*Two lines*");
    assert_eq!(
        heading(vec![
            Inline::text("Rated 5* by "),
            Inline::emphasis("critics")
        ]),
        "Rated 5* by _critics_"
    );
    assert_eq!(
        heading(vec![Inline::text("See "), Inline::code("a*b")]),
        "See `a*b`"
    );
    assert!(Reply::new().heading(vec![]).to_slack().blocks.is_empty());
}

#[test]
fn mentions_broadcasts_and_fake_links_in_text_are_escaped() {
    assert_eq!(
        one(vec![Inline::text(
            "<!channel> cake in the kitchen, <@U123> <!here> <#C42> <http://x|y> &amp; <!subteam^S1>"
        )]),
        "&lt;!channel&gt; cake in the kitchen, &lt;@U123&gt; &lt;!here&gt; &lt;#C42&gt; \
         &lt;http://x|y&gt; &amp;amp; &lt;!subteam^S1&gt;"
    );
}

#[test]
fn hostile_text_is_inert_in_every_position() {
    let evil = "<!channel> <@U123|boss> <http://evil.example|bank> &lt;!here&gt;";
    let reply = Reply::new()
        .heading(vec![Inline::text(evil)])
        .paragraph(vec![
            Inline::strong(evil),
            Inline::emphasis(evil),
            Inline::code(evil),
            Inline::link(evil, "https://ok.example/?q=<!here>|<@U1>"),
            Inline::link(evil, format!("mailto:{evil}")),
            Inline::link("", "https://ok.example/<!channel>"),
        ])
        .list(vec![vec![Inline::text(evil)], vec![Inline::strong(evil)]]);
    let message = reply.to_slack();
    assert_inert(
        &message,
        &[
            "https://ok.example/?q=%3C!here%3E%7C%3C@U1%3E|",
            "https://ok.example/%3C!channel%3E>",
        ],
    );
    assert_eq!(message.text, escape_mrkdwn(&reply.to_plain()));
    assert!(sections(&message)[0].starts_with("*&lt;!channel&gt; &lt;@U123|boss&gt;"));
}

#[test]
fn a_span_holding_its_own_delimiter_or_a_newline_is_plain_text() {
    assert_eq!(
        one(vec![
            Inline::strong("2*3 = 6"),
            Inline::text(" and "),
            Inline::strong("*all*")
        ]),
        "2*3 = 6 and *all*"
    );
    assert_eq!(one(vec![Inline::emphasis("snake_case")]), "snake_case");
    assert_eq!(one(vec![Inline::code("a`b")]), "a`b");
    assert_eq!(one(vec![Inline::strong("two\nlines")]), "two\nlines");
    // Another span's delimiter is harmless: the whole span is bold.
    assert_eq!(one(vec![Inline::strong("snake_case")]), "*snake_case*");
}

#[test]
fn whitespace_around_a_styled_span_goes_outside_its_markers() {
    assert_eq!(
        one(vec![
            Inline::text("a"),
            Inline::strong(" b "),
            Inline::text("c")
        ]),
        "a *b* c"
    );
    assert_eq!(
        one(vec![
            Inline::text("x"),
            Inline::emphasis("   "),
            Inline::text("y")
        ]),
        "x   y"
    );
    assert!(paragraph(vec![Inline::code("")]).is_empty());
}

#[test]
fn links_with_odd_urls() {
    let link = |text: &str, url: &str| one(vec![Inline::link(text, url)]);
    assert_eq!(
        link("search", "https://news.example/find?q=a&b=<c>|d e"),
        "<https://news.example/find?q=a&amp;b=%3Cc%3E%7Cd%20e|search>"
    );
    assert_eq!(
        link("tab", "http://news.example/a\tb\nc"),
        "<http://news.example/a%09b%0Ac|tab>"
    );
    assert_eq!(
        link("caps", "HTTPS://NEWS.EXAMPLE/"),
        "<HTTPS://NEWS.EXAMPLE/|caps>"
    );
    assert_eq!(
        link("café", "https://news.example/café naïve"),
        "<https://news.example/café%20naïve|café>"
    );
    assert_eq!(
        link("a > b | c & d", "https://news.example/"),
        "<https://news.example/|a &gt; b | c &amp; d>"
    );
    assert_eq!(link("", "https://news.example/"), "<https://news.example/>");
    assert_eq!(
        link("click", "javascript:alert(1)"),
        "click (javascript:alert(1))"
    );
    assert_eq!(
        link("mail us", "mailto:desk@news.example?subject=<hi>&x"),
        "mail us (mailto:desk@news.example?subject=&lt;hi&gt;&amp;x)"
    );
    assert_eq!(link("http://", "http://"), "http://");
    assert_eq!(
        link("ftp", "ftp://files.example/"),
        "ftp (ftp://files.example/)"
    );
    assert_eq!(link("rel", "/relative/path"), "rel (/relative/path)");
}

#[test]
fn a_forty_kilobyte_paragraph_is_cut_to_one_section() {
    let long = "The council met again. ".repeat(1800);
    assert!(long.len() > 40_000);
    let reply = Reply::new().paragraph(vec![Inline::text(&long)]);
    let message = reply.to_slack();
    let texts = sections(&message);
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].chars().count(), TEXT_LIMIT);
    assert!(texts[0].ends_with('…'));
    assert!(long.starts_with(texts[0].trim_end_matches('…')));
    assert_eq!(message.text.chars().count(), TEXT_LIMIT);
    assert!(message.text.ends_with('…'));
}

#[test]
fn cutting_never_splits_an_entity_or_a_grapheme() {
    let ampersands = one(vec![Inline::text("&".repeat(40_000))]);
    assert!(ampersands.chars().count() <= TEXT_LIMIT);
    let body = ampersands.strip_suffix('…').unwrap();
    assert!(body.replace("&amp;", "").is_empty(), "{ampersands}");

    let family = "👩\u{200D}👩\u{200D}👧"; // five chars, one grapheme
    let families = one(vec![Inline::text(family.repeat(1000))]);
    let body = families.strip_suffix('…').unwrap();
    assert!(body.replace(family, "").is_empty());
    assert_eq!(body.chars().count(), 2995);
}

#[test]
fn a_cut_span_keeps_its_markers_and_brackets_paired() {
    let strong = one(vec![
        Inline::text("Note: "),
        Inline::strong("x".repeat(5000)),
    ]);
    assert_eq!(strong.chars().count(), TEXT_LIMIT);
    assert!(strong.starts_with("Note: *xxx"));
    assert!(strong.ends_with("xx…*"));

    let link = one(vec![Inline::link("y".repeat(5000), "https://a.example/")]);
    assert_eq!(link.chars().count(), TEXT_LIMIT);
    assert!(link.starts_with("<https://a.example/|yyy"));
    assert!(link.ends_with("yy…>"));

    // Spans after the cut are left out.
    let cut = one(vec![
        Inline::text("z".repeat(5000)),
        Inline::strong("after"),
    ]);
    assert!(!cut.contains("after"));
    assert!(cut.ends_with("z…"));
}

#[test]
fn eighty_list_items_are_packed_into_sections_in_order() {
    let items = |len: usize| -> Vec<Vec<Inline>> {
        (1..=80)
            .map(|i| {
                let label = format!("item {i:02}");
                let pad = "·".repeat(len.saturating_sub(label.chars().count()));
                vec![Inline::text(format!("{label}{pad}"))]
            })
            .collect()
    };

    let short = Reply::new().list(items(0)).to_slack();
    let texts = sections(&short);
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].lines().count(), 80);
    assert!(texts[0].starts_with("• item 01\n• item 02"));

    let long = Reply::new().list(items(200)).to_slack();
    let texts = sections(&long);
    assert_eq!(texts.len(), 6); // 14 lines of 202 chars fit in 3000
    let lines: Vec<&str> = texts.iter().flat_map(|t| t.lines()).collect();
    assert_eq!(lines.len(), 80);
    for (i, line) in lines.iter().enumerate() {
        assert!(line.starts_with(&format!("• item {:02}", i + 1)), "{line}");
        assert_eq!(line.chars().count(), 202);
    }
}

#[test]
fn list_items_are_one_line_each() {
    let message = Reply::new()
        .list(vec![
            vec![Inline::text("first\nstill first\r\nand more")],
            vec![Inline::strong("second")],
        ])
        .to_slack();
    assert_eq!(
        sections(&message),
        ["• first still first and more\n• *second*"]
    );
}

#[test]
fn a_reply_over_fifty_blocks_ends_with_how_many_more() {
    let many = |n: usize| {
        (1..=n).fold(Reply::new(), |reply, i| {
            reply.paragraph(vec![Inline::text(format!("paragraph {i}"))])
        })
    };
    let texts: Vec<String> = sections(&many(120).to_slack())
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(texts.len(), BLOCK_LIMIT);
    assert_eq!(texts[48], "paragraph 49");
    assert_eq!(texts[49], "…and 71 more");

    let exactly = many(50).to_slack();
    assert_eq!(sections(&exactly)[49], "paragraph 50");
}

#[test]
fn zero_width_and_right_to_left_characters_pass_through() {
    let tricky = "a\u{200B}b\u{200C}c\u{200D}d\u{2060}e\u{FEFF} \u{202E}gnp.exe\u{202C} \
                  \u{2067}שלום עולם\u{2069} مرحبا \u{200F}";
    assert_eq!(one(vec![Inline::text(tricky)]), tricky);
    assert_eq!(one(vec![Inline::strong(tricky)]), format!("*{tricky}*"));
    let message = Reply::new()
        .paragraph(vec![Inline::text(tricky)])
        .to_slack();
    assert_eq!(message.text, tricky);
}

#[test]
fn empty_paragraphs_are_left_out() {
    let message = Reply::new()
        .paragraph(vec![])
        .paragraph(vec![Inline::text(" \n ")])
        .paragraph(vec![Inline::text("kept")])
        .to_slack();
    assert_eq!(sections(&message), ["kept"]);
}

#[test]
fn a_real_context_answer_renders_as_sections() {
    let desk = crate::fixtures::example_desk("!");
    let today = jiff::civil::date(2026, 11, 26);
    let crate::Outcome::Answer { reply, .. } = desk.handle("!context bulgaria", today) else {
        panic!("expected an answer");
    };
    let message = reply.to_slack();
    let texts = sections(&message);

    assert_eq!(
        texts[0],
        "*Bulgaria, Schengen and Mitov's claims about Russia and migrant smuggling \
         (bulgaria-schengen)*"
    );
    assert!(
        texts[1].starts_with("Bulgaria became a full member"),
        "{}",
        texts[1]
    );
    assert_eq!(texts.len(), 9, "{texts:#?}");
    assert_eq!(texts[2], "*Key facts*");
    assert_eq!(texts[4], "*Allegations (attribute when repeating)*");
    assert_eq!(texts[5].lines().count(), 3);
    assert!(
        texts[5]
            .lines()
            .all(|line| line.contains("alleged by *Daniel Mitov*"))
    );
    let facts: Vec<&str> = texts[3].lines().collect();
    assert!(facts.len() >= 3, "{facts:?}");
    assert!(facts.iter().all(|line| line.starts_with("• ")));
    assert!(texts[3].contains("|The Times>"), "{}", texts[3]);
    let sources = texts
        .iter()
        .position(|t| *t == "*Sources*")
        .expect("Sources");
    assert!(
        texts[sources + 1]
            .lines()
            .all(|line| line.starts_with("• *"))
    );
    assert!(texts[sources + 1].contains("<https://"));
    assert!(texts.last().unwrap().starts_with("Last reviewed "));

    // Every `<` opens a link to one of the topic's sources.
    let topic = desk
        .knowledge()
        .topics()
        .iter()
        .find(|t| t.slug == "bulgaria-schengen")
        .expect("topic");
    let urls: Vec<String> = topic.sources.iter().map(|s| encode_url(&s.url)).collect();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    assert_inert(&message, &urls);
    // The answer's plain text is longer than Slack's fallback allows: it is cut.
    let fallback = message.text.strip_suffix('…').expect("cut fallback");
    assert_eq!(message.text.chars().count(), TEXT_LIMIT);
    assert!(escape_mrkdwn(&reply.to_plain()).starts_with(fallback));
}
