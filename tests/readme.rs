//! The README against the code: the values it lists for the JSON enums are every value the
//! code can produce, and its curl examples send what the endpoints accept.

use std::collections::BTreeSet;
use std::path::Path;

use storyd::model::{FeedStatus, MatchKind, NextFetchReason};

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every value of the enum; the match fails to compile when a variant is added, so that the
/// list (and the README) is brought up to date.
fn every_reason() -> Vec<&'static str> {
    use NextFetchReason::*;
    let all = [
        Initial,
        Interval,
        Ttl,
        CacheControl,
        PostingRate,
        RetryAfter,
        Backoff,
        Manual,
    ];
    for r in all {
        match r {
            Initial | Interval | Ttl | CacheControl | PostingRate | RetryAfter | Backoff
            | Manual => {}
        }
    }
    all.iter().map(|r| r.as_str()).collect()
}

fn every_status() -> Vec<&'static str> {
    use FeedStatus::*;
    let all = [Pending, Ok, NotModified, Error];
    for s in all {
        match s {
            Pending | Ok | NotModified | Error => {}
        }
    }
    all.iter().map(|s| s.as_str()).collect()
}

fn every_match() -> Vec<&'static str> {
    use MatchKind::*;
    let all = [New, Exact, NearDuplicate, Similar];
    for m in all {
        match m {
            New | Exact | NearDuplicate | Similar => {}
        }
    }
    all.iter().map(|m| m.as_str()).collect()
}

/// The values the README lists after `"field": `, as in `"field": "a" | "b", "next"`.
fn listed(readme: &str, field: &str) -> BTreeSet<String> {
    let start = format!("\"{field}\": ");
    let at = readme
        .find(&start)
        .unwrap_or_else(|| panic!("README lists no values of {field}"));
    let rest = &readme[at + start.len()..];
    let mut values = BTreeSet::new();
    let mut rest = rest.trim_start();
    loop {
        let value = rest
            .strip_prefix('"')
            .and_then(|r| r.split_once('"'))
            .unwrap_or_else(|| panic!("{field}: expected a quoted value at {rest:.40}"));
        values.insert(value.0.to_owned());
        rest = value.1.trim_start();
        match rest.strip_prefix('|') {
            Some(more) => rest = more.trim_start(),
            None => return values,
        }
    }
}

#[test]
fn the_readme_lists_every_value_of_the_json_enums() {
    let readme = read("README.md");
    for (field, all) in [
        ("next_fetch_reason", every_reason()),
        ("status", every_status()),
        ("match", every_match()),
    ] {
        let all: BTreeSet<String> = all.into_iter().map(str::to_owned).collect();
        assert_eq!(listed(&readme, field), all, "README's values of {field}");
    }
}

#[test]
fn the_list_parser_reads_alternatives_across_lines() {
    let text = "x `{\"a\": \"one\" | \"two\" |\n\"three\", \"b\"}`";
    let got: Vec<String> = listed(text, "a").into_iter().collect();
    assert_eq!(got, ["one", "three", "two"]);
}

/// The curl commands of a Markdown text, each with its continuation lines joined.
fn curl_commands(text: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(mut command) = current.take() {
            command.push(' ');
            command.push_str(line.trim_end_matches('\\'));
            if line.ends_with('\\') {
                current = Some(command);
            } else {
                commands.push(command);
            }
        } else if line.starts_with("curl ") {
            let command = line.trim_end_matches('\\').to_owned();
            if line.ends_with('\\') {
                current = Some(command);
            } else {
                commands.push(command);
            }
        }
    }
    commands.extend(current);
    commands
}

#[test]
fn curl_examples_that_send_json_say_so() {
    for path in ["README.md", "deploy/README.md"] {
        let commands = curl_commands(&read(path));
        assert!(!commands.is_empty(), "{path} has curl examples");
        for command in commands {
            let sends_body = command
                .split_whitespace()
                .any(|w| w == "-d" || w.starts_with("--data"));
            if sends_body {
                assert!(
                    command.contains("Content-Type: application/json"),
                    "{path}: curl -d sends a form unless told otherwise: {command}"
                );
            }
        }
    }
}

#[test]
fn continued_curl_lines_are_one_command() {
    let text = "```sh\ncurl -H 'A: b' \\\n     -d '{}' http://x/\ncurl http://y/\n```";
    assert_eq!(
        curl_commands(text),
        ["curl -H 'A: b'  -d '{}' http://x/", "curl http://y/"]
    );
}
