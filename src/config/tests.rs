use super::*;

const MINIMAL: &str = r#"
[matrix]
homeserver_url = "http://127.0.0.1:8008"
user_id = "@copydesk:localhost"
password_env = "COPYDESK_PASSWORD"
data_dir = "state"
"#;

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(Path::new("conf/config.toml"), text).map_err(|e| e.to_string())
}

#[test]
fn minimal_config_gets_defaults() {
    let config = parse(MINIMAL).unwrap();
    assert!(config.slack.is_none());
    let matrix = config.matrix.as_ref().unwrap();
    assert_eq!(config.bot.prefix, "!");
    assert_eq!(config.bot.knowledge, None);
    assert_eq!(matrix.device_name, "copydesk");
    assert_eq!(matrix.data_dir, Path::new("conf/state"));
    assert_eq!(matrix.max_backlog_age, DEFAULT_MAX_BACKLOG_AGE);
    assert_eq!(matrix.room_key_wait, DEFAULT_ROOM_KEY_WAIT);
    assert_eq!(config.rooms.default_mode, RoomMode::Commands);
    assert!(matches!(matrix.login, Login::Password(ref s) if s.variable == "COPYDESK_PASSWORD"));
}

#[test]
fn the_example_config_is_valid() {
    let text = include_str!("../../config.toml.example");
    let config = parse(text).unwrap();
    assert_eq!(config.rooms.default_mode, RoomMode::Commands);
    assert!(config.rooms.editors_room.is_some());
    assert!(!config.matrix.unwrap().autojoin.users.is_empty());
}

#[test]
fn operations_sections_have_defaults() {
    let config = parse(MINIMAL).unwrap();
    assert_eq!(config.ops, crate::operations::OpsSettings::default());
    assert!(!config.ops.metrics.enabled);
    assert!(config.ops.reload.watch);
    assert!(!config.ops.audit.include_text);
    assert_eq!(config.ops.feedback.demotion, None);
    let example = parse(include_str!("../../config.toml.example")).unwrap();
    assert_eq!(
        example.ops.freshness.at,
        jiff::civil::Time::constant(9, 0, 0, 0)
    );
}

#[test]
fn operations_sections_are_read() {
    let text = format!(
        "{MINIMAL}[log]\nformat = \"json\"\n\
         [reload]\nwatch = false\ndebounce = \"2s\"\n\
         [audit]\nmax_size_mb = 2\nkeep = 3\ninclude_text = true\n\
         [feedback]\ndemote_threshold = 0.75\ndemote_min_votes = 8\n\
         [freshness]\nat = \"07:30\"\n\
         [metrics]\nenabled = true\nlisten = \"127.0.0.1:9100\"\nmax_sync_age = \"5m\"\n"
    );
    let ops = parse(&text).unwrap().ops;
    assert_eq!(ops.log, crate::logging::LogFormat::Json);
    assert!(!ops.reload.watch);
    assert_eq!(ops.reload.debounce, Duration::from_secs(2));
    assert_eq!(ops.audit.max_size, 2 * 1024 * 1024);
    assert_eq!(ops.audit.keep, 3);
    assert!(ops.audit.include_text);
    assert_eq!(
        ops.feedback.demotion,
        Some(copydesk_core::feedback::DemotionPolicy {
            threshold: 0.75,
            min_votes: 8
        })
    );
    assert_eq!(ops.freshness.at, jiff::civil::Time::constant(7, 30, 0, 0));
    assert!(ops.metrics.enabled);
    assert_eq!(ops.metrics.listen.port(), 9100);
    assert_eq!(ops.metrics.max_sync_age, Duration::from_secs(300));
}

#[test]
fn bad_operations_values_are_reported_with_their_places() {
    let text = format!(
        "{MINIMAL}[feedback]\ndemote_threshold = 1.5\n\
         [freshness]\nat = \"nine\"\n\
         [metrics]\nlisten = \"localhost\"\nmax_sync_age = \"10s\"\n\
         [audit]\nmax_size_mb = 0\n"
    );
    let error = parse(&text).unwrap_err();
    let lines: Vec<&str> = error.lines().collect();
    assert_eq!(lines.len(), 5, "{error}");
    assert!(
        lines[0].starts_with("conf/config.toml:8:20: demote_threshold"),
        "{error}"
    );
    assert!(
        lines[1].starts_with("conf/config.toml:10:6: \"nine\" is not a time"),
        "{error}"
    );
    assert!(
        lines[2].starts_with("conf/config.toml:12:10: \"localhost\" is not an address"),
        "{error}"
    );
    assert!(
        lines[3].starts_with("conf/config.toml:13:16: max_sync_age must be longer"),
        "{error}"
    );
    assert!(
        lines[4].starts_with("conf/config.toml:15:15: max_size_mb"),
        "{error}"
    );
    let typo = format!("{MINIMAL}[metrics]\nenable = true\n");
    assert!(
        parse(&typo)
            .unwrap_err()
            .starts_with("conf/config.toml:8:1: unknown field `enable`"),
        "{}",
        parse(&typo).unwrap_err()
    );
}

#[test]
fn unknown_key_is_reported_with_its_place() {
    let text = MINIMAL.replace("data_dir", "data_dri");
    let error = parse(&text).unwrap_err();
    assert!(
        error.starts_with("conf/config.toml:6:1: unknown field `data_dri`"),
        "{error}"
    );
}

#[test]
fn bad_values_are_all_reported_with_their_places() {
    let text = format!(
        "{MINIMAL}max_backlog_age = \"ten minutes\"\n\
         [matrix.autojoin]\nusers = [\"editor\"]\nservers = [\"bad server\"]\n\
         [rooms]\neditors_room = \"#newsroom:localhost\"\n\
         [rooms.mode]\n\"!ok:localhost\" = \"warn\"\n\"general\" = \"commands\"\n"
    );
    let error = parse(&text).unwrap_err();
    let lines: Vec<&str> = error.lines().collect();
    assert_eq!(lines.len(), 5, "{error}");
    assert!(lines[0].starts_with("conf/config.toml:7:19: \"ten minutes\" is not a duration"));
    assert!(lines[1].starts_with("conf/config.toml:9:10: \"editor\" is not a Matrix user id"));
    assert!(lines[2].starts_with("conf/config.toml:10:12: \"bad server\" is not a server name"));
    assert!(lines[3].contains("not an alias"), "{error}");
    assert!(lines[4].starts_with("conf/config.toml:15:1: \"general\" is not a Matrix room id"));
}

#[test]
fn log_format_is_checked() {
    assert!(parse(&format!("{MINIMAL}[log]\nformat = \"json\"\n")).is_ok());
    let error = parse(&format!("{MINIMAL}[log]\nformat = \"xml\"\n")).unwrap_err();
    assert!(
        error.starts_with("conf/config.toml:8:10: unknown log format"),
        "{error}"
    );
}

#[test]
fn unknown_mode_is_reported() {
    let text = format!("{MINIMAL}[rooms]\ndefault_mode = \"warm\"\n");
    let error = parse(&text).unwrap_err();
    assert!(
        error.starts_with("conf/config.toml:8:16: unknown variant `warm`"),
        "{error}"
    );
}

#[test]
fn editors_mode_needs_an_editors_room() {
    let text = format!("{MINIMAL}[rooms.mode]\n\"!a:localhost\" = \"editors\"\n");
    let error = parse(&text).unwrap_err();
    assert!(
        error.contains("rooms.editors_room, which is not set"),
        "{error}"
    );
}

#[test]
fn exactly_one_login_method() {
    let none = MINIMAL.replace("password_env = \"COPYDESK_PASSWORD\"\n", "");
    assert!(
        parse(&none)
            .unwrap_err()
            .contains("needs password_env or access_token_env")
    );
    let both = format!("{MINIMAL}access_token_env = \"TOKEN\"\n");
    assert!(parse(&both).unwrap_err().contains("not both"));
}

#[test]
fn a_secret_in_place_of_a_variable_name_is_refused() {
    let text = MINIMAL.replace("COPYDESK_PASSWORD", "hunter2 is my password");
    let error = parse(&text).unwrap_err();
    assert!(error.contains("not the secret itself"), "{error}");
    assert!(
        !error.contains("hunter2"),
        "the error must not echo the secret: {error}"
    );
}

#[test]
fn unset_secret_names_variable_and_key() {
    let text = MINIMAL.replace("COPYDESK_PASSWORD", "COPYDESK_TEST_SURELY_UNSET_VARIABLE");
    let config = parse(&text).unwrap();
    let Login::Password(secret) = config.matrix.unwrap().login else {
        panic!("password login expected")
    };
    let error = secret.read().unwrap_err().to_string();
    assert_eq!(
        error,
        "conf/config.toml:5:16: password_env names the environment variable \
         COPYDESK_TEST_SURELY_UNSET_VARIABLE, which is not set"
    );
}

#[test]
fn durations() {
    assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
    assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
    assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    for bad in ["", "10", "m", "10 m", "1.5h", "10y", "-1s"] {
        assert!(parse_duration(bad).is_err(), "{bad:?} should not parse");
    }
}

#[test]
fn relative_paths_resolve_against_the_config_folder() {
    let text = MINIMAL.replace(
        "[matrix]",
        "[bot]\nknowledge = \"kb.toml\"\nlexicons = [\"/abs/lex.toml\"]\n[matrix]",
    );
    let config = parse(&text).unwrap();
    assert_eq!(
        config.bot.knowledge.as_deref(),
        Some(Path::new("conf/kb.toml"))
    );
    assert_eq!(config.bot.lexicons, vec![PathBuf::from("/abs/lex.toml")]);
}

#[test]
fn model_keys_choose_the_file_threshold_or_rules_only() {
    let text = MINIMAL.replace(
        "[matrix]",
        "[bot]\nmodel = \"m.bin\"\nmodel_threshold = 0.6\n[matrix]",
    );
    let model = parse(&text).unwrap().bot.model;
    assert_eq!(model.path.as_deref(), Some(Path::new("conf/m.bin")));
    assert_eq!(model.threshold, Some(0.6));
    assert!(!model.no_model);

    let off = MINIMAL.replace("[matrix]", "[bot]\nuse_model = false\n[matrix]");
    assert!(parse(&off).unwrap().bot.model.no_model);
    assert!(!parse(MINIMAL).unwrap().bot.model.no_model);
}

#[test]
fn model_threshold_outside_zero_to_one_is_reported_with_its_place() {
    let text = MINIMAL.replace("[matrix]", "[bot]\nmodel_threshold = 1.5\n[matrix]");
    let errors = parse(&text).unwrap_err().to_string();
    assert!(
        errors.contains(":3:19: model_threshold 1.5 must be between 0 and 1"),
        "{errors}"
    );
}

const SLACK: &str = r#"
[slack]
app_token_env = "COPYDESK_SLACK_APP_TOKEN"
bot_token_file = "secrets/bot-token"
data_dir = "slack-state"
"#;

#[test]
fn a_slack_only_config_gets_defaults() {
    let config = parse(SLACK).unwrap();
    assert!(config.matrix.is_none());
    let slack = config.slack.unwrap();
    assert_eq!(slack.api_url, DEFAULT_SLACK_API_URL);
    assert_eq!(slack.data_dir, Path::new("conf/slack-state"));
    assert_eq!(slack.default_mode, RoomMode::Commands);
    assert_eq!(slack.app_token.variable, "COPYDESK_SLACK_APP_TOKEN");
    assert_eq!(
        slack.bot_token.file.as_deref(),
        Some(Path::new("conf/secrets/bot-token"))
    );
    assert_eq!(slack.editor_groups_refresh, DEFAULT_EDITOR_GROUPS_REFRESH);
    assert_eq!(slack.reconnect_secs, DEFAULT_RECONNECT_SECS);
}

#[test]
fn reconnect_secs_is_read_and_must_be_at_least_one() {
    let slack = parse(&format!("{SLACK}reconnect_secs = 1\n"))
        .unwrap()
        .slack
        .unwrap();
    assert_eq!(slack.reconnect_secs, 1);
    let error = parse(&format!("{SLACK}reconnect_secs = 0\n")).unwrap_err();
    assert!(
        error.starts_with("conf/config.toml:6:18: reconnect_secs must be at least 1"),
        "{error}"
    );
    assert_eq!(error.lines().count(), 1, "{error}");
    let error = parse(&format!("{SLACK}reconnect_secs = -5\n")).unwrap_err();
    assert!(error.starts_with("conf/config.toml:6:18: "), "{error}");
}

#[test]
fn matrix_and_slack_together() {
    let config = parse(&format!("{MINIMAL}{SLACK}")).unwrap();
    assert!(config.matrix.is_some() && config.slack.is_some());
}

#[test]
fn a_config_with_neither_matrix_nor_slack_is_refused() {
    let error = parse("[bot]\nprefix = \"!\"\n").unwrap_err();
    assert!(
        error.starts_with("conf/config.toml:1:1: the configuration needs a [matrix] table, a [slack] table, or both"),
        "{error}"
    );
}

#[test]
fn slack_keys_are_read_and_checked() {
    let text = format!(
        "{SLACK}api_url = \"http://127.0.0.1:9/api/\"\neditors = [\"U012AB\", \"W0CD\"]\n\
         editor_groups = [\"S0ED\"]\neditor_groups_refresh = \"1m\"\n\
         editors_channel = \"C0EDIT\"\ndefault_mode = \"warn-private\"\n\
         [slack.mode]\nC0NEWS = \"warn\"\nG0PRIV = \"editors\"\n"
    );
    let slack = parse(&text).unwrap().slack.unwrap();
    assert_eq!(slack.api_url, "http://127.0.0.1:9/api");
    assert_eq!(slack.editors, ["U012AB", "W0CD"]);
    assert_eq!(slack.editor_groups, ["S0ED"]);
    assert_eq!(slack.editors_channel.as_deref(), Some("C0EDIT"));
    assert_eq!(slack.mode("C0NEWS"), RoomMode::Warn);
    assert_eq!(slack.mode("G0PRIV"), RoomMode::Editors);
    assert_eq!(slack.mode("C0OTHER"), RoomMode::WarnPrivate);
}

#[test]
fn bad_slack_values_are_reported_with_their_places() {
    let text = format!(
        "{SLACK}api_url = \"slack.com\"\neditors = [\"@ann\"]\neditor_groups = [\"U01\"]\n\
         [slack.mode]\n\"#news\" = \"editors\"\n"
    );
    let error = parse(&text).unwrap_err();
    let lines: Vec<&str> = error.lines().collect();
    assert_eq!(lines.len(), 5, "{error}");
    assert!(
        lines[0].starts_with("conf/config.toml:6:11: api_url must be an http"),
        "{error}"
    );
    assert!(
        lines[1].starts_with("conf/config.toml:7:12: \"@ann\" is not a Slack user id"),
        "{error}"
    );
    assert!(lines[1].contains("use the id, not the name"), "{error}");
    assert!(
        lines[2].starts_with("conf/config.toml:8:18: \"U01\" is not a Slack user-group id"),
        "{error}"
    );
    assert!(
        lines[3].starts_with("conf/config.toml:10:1: \"#news\" is not a Slack channel id"),
        "{error}"
    );
    assert!(
        lines[4].contains("slack.editors_channel, which is not set"),
        "{error}"
    );
}

#[test]
fn slack_tokens_need_exactly_one_source() {
    let none = SLACK.replace("app_token_env = \"COPYDESK_SLACK_APP_TOKEN\"\n", "");
    let error = parse(&none).unwrap_err();
    assert!(error.contains("[slack] needs app_token_env"), "{error}");
    let both = format!("{SLACK}bot_token_env = \"X\"\n");
    let error = parse(&both).unwrap_err();
    assert!(
        error.contains("set either bot_token_env or bot_token_file, not both"),
        "{error}"
    );
}

#[test]
fn a_token_file_is_read_and_trimmed_and_its_absence_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::create_dir(dir.path().join("secrets")).unwrap();
    std::fs::write(dir.path().join("secrets/bot-token"), "xoxb-1-2\n").unwrap();
    let config = Config::parse(&path, SLACK).unwrap();
    let slack = config.slack.unwrap();
    assert_eq!(slack.bot_token.read().unwrap(), "xoxb-1-2");
    let missing = Config::parse(&dir.path().join("elsewhere/config.toml"), SLACK)
        .unwrap()
        .slack
        .unwrap();
    let error = missing.bot_token.read().unwrap_err().to_string();
    assert!(
        error.contains(":4:18: bot_token_file names the file"),
        "{error}"
    );
    assert!(!format!("{:?}", slack.bot_token).contains("xoxb"));
}

#[test]
fn matrix_and_slack_need_their_own_data_dirs() {
    let text = format!("{MINIMAL}{}", SLACK.replace("slack-state", "state"));
    let error = parse(&text).unwrap_err();
    assert!(error.contains("slack.data_dir must differ"), "{error}");
}

#[test]
fn room_key_wait_is_a_duration_of_at_most_a_day() {
    let config = parse(&format!("{MINIMAL}room_key_wait = \"90s\"\n")).unwrap();
    assert_eq!(
        config.matrix.unwrap().room_key_wait,
        Duration::from_secs(90)
    );
    let error = parse(&format!("{MINIMAL}room_key_wait = \"2d\"\n")).unwrap_err();
    assert!(
        error.starts_with("conf/config.toml:7:17: room_key_wait must be at most 1d"),
        "{error}"
    );
}
