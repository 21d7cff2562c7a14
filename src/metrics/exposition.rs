//! The two text formats `GET /metrics` answers in, and the choice between them: OpenMetrics
//! (what the registry writes) when the request's `Accept` asks for it, as Prometheus itself
//! does, else the Prometheus text exposition format 0.0.4, which every scraper reads.
//!
//! The formats differ in their metadata, not their samples: 0.0.4 names a counter family by
//! its `_total` series, has no `# UNIT` lines, no `# EOF`, no `_created` series or exemplars,
//! and escapes only `\` and newlines in `# HELP` text.

use std::collections::HashMap;

/// Content-Type of the OpenMetrics text format.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Content-Type of the Prometheus text format 0.0.4.
pub const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A text format of `GET /metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0, for clients that ask for `application/openmetrics-text`.
    OpenMetrics,
    /// Prometheus text 0.0.4: for everyone else.
    Prometheus,
}

impl Format {
    /// The format an `Accept` header asks for: OpenMetrics when it lists
    /// `application/openmetrics-text` with a weight above zero and not below that of an
    /// explicit `text/plain`; Prometheus text otherwise (no header, `*/*`, `text/plain`).
    pub fn negotiate(accept: Option<&str>) -> Format {
        let (mut openmetrics, mut plain) = (0.0_f32, 0.0_f32);
        for range in accept.unwrap_or("").split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
                .map_or(1.0, |(_, v)| v.trim().parse::<f32>().unwrap_or(0.0));
            match media.as_str() {
                "application/openmetrics-text" => openmetrics = openmetrics.max(q),
                "text/plain" => plain = plain.max(q),
                _ => {}
            }
        }
        if openmetrics > 0.0 && openmetrics >= plain {
            Format::OpenMetrics
        } else {
            Format::Prometheus
        }
    }

    /// The Content-Type of an answer in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => OPENMETRICS,
            Format::Prometheus => PROMETHEUS,
        }
    }
}

/// Rewrites an OpenMetrics text exposition in the Prometheus text format 0.0.4.
pub fn to_prometheus(openmetrics: &str) -> String {
    // A family's TYPE line may come after its HELP line: learn every family's type first.
    let kinds: HashMap<&str, &str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.split_once(' '))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            let (suffix, _) = family(kinds.get(name).copied().unwrap_or("unknown"));
            out.push_str(&format!("# HELP {name}{suffix} {}", help_text(help)));
        } else if let Some((name, kind)) =
            line.strip_prefix("# TYPE ").and_then(|r| r.split_once(' '))
        {
            let (suffix, kind) = family(kind);
            out.push_str(&format!("# TYPE {name}{suffix} {kind}"));
        } else if line.starts_with('#') || is_created(line, &kinds) {
            continue;
        } else {
            out.push_str(without_exemplar(line));
        }
        out.push('\n');
    }
    out
}

/// The suffix 0.0.4 adds to a family's name, and its type there, for an OpenMetrics type.
fn family(kind: &str) -> (&'static str, &str) {
    match kind {
        "counter" => ("_total", "counter"),
        "info" => ("_info", "gauge"),
        "stateset" => ("", "gauge"),
        "unknown" | "gaugehistogram" => ("", "untyped"),
        other => ("", other),
    }
}

/// HELP text as 0.0.4 escapes it: `\"` of OpenMetrics becomes a plain `"`.
fn help_text(help: &str) -> String {
    let mut out = String::with_capacity(help.len());
    let mut chars = help.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some(next) => {
                out.push('\\');
                out.push(next);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Whether a sample line is the `_created` series of a counter, histogram or summary.
fn is_created(line: &str, kinds: &HashMap<&str, &str>) -> bool {
    let name = line.split(['{', ' ']).next().unwrap_or("");
    name.strip_suffix("_created")
        .and_then(|family| kinds.get(family))
        .is_some_and(|k| matches!(*k, "counter" | "histogram" | "summary"))
}

/// A sample line without its exemplar (` # {labels} value`), which 0.0.4 cannot carry.
fn without_exemplar(line: &str) -> &str {
    // The label set may hold " # " inside quotes: look only after it.
    let mut after_labels = 0;
    if let Some(open) = line
        .find('{')
        .filter(|o| line.find(' ').is_none_or(|s| *o < s))
    {
        let mut quoted = false;
        let mut escaped = false;
        for (i, c) in line[open..].char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = !quoted,
                '}' if !quoted => {
                    after_labels = open + i;
                    break;
                }
                _ => {}
            }
        }
    }
    match line[after_labels..].find(" # ") {
        Some(at) => &line[..after_labels + at],
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_named_by_their_total_and_units_and_eof_go() {
        let om = "# HELP storyd_fetches Feed fetches by outcome.\n\
                  # TYPE storyd_fetches counter\n\
                  storyd_fetches_total{outcome=\"ok\"} 3\n\
                  # HELP storyd_fetched_bytes Bytes received.\n\
                  # TYPE storyd_fetched_bytes counter\n\
                  # UNIT storyd_fetched_bytes bytes\n\
                  storyd_fetched_bytes_total 1500\n\
                  # HELP storyd_stories Stories.\n\
                  # TYPE storyd_stories gauge\n\
                  storyd_stories 13\n\
                  # HELP storyd_lag_seconds Lag.\n\
                  # TYPE storyd_lag_seconds histogram\n\
                  # UNIT storyd_lag_seconds seconds\n\
                  storyd_lag_seconds_sum 0.5\n\
                  storyd_lag_seconds_count 2\n\
                  storyd_lag_seconds_bucket{le=\"0.1\"} 1\n\
                  storyd_lag_seconds_bucket{le=\"+Inf\"} 2\n\
                  # EOF\n";
        let expected = "# HELP storyd_fetches_total Feed fetches by outcome.\n\
                        # TYPE storyd_fetches_total counter\n\
                        storyd_fetches_total{outcome=\"ok\"} 3\n\
                        # HELP storyd_fetched_bytes_total Bytes received.\n\
                        # TYPE storyd_fetched_bytes_total counter\n\
                        storyd_fetched_bytes_total 1500\n\
                        # HELP storyd_stories Stories.\n\
                        # TYPE storyd_stories gauge\n\
                        storyd_stories 13\n\
                        # HELP storyd_lag_seconds Lag.\n\
                        # TYPE storyd_lag_seconds histogram\n\
                        storyd_lag_seconds_sum 0.5\n\
                        storyd_lag_seconds_count 2\n\
                        storyd_lag_seconds_bucket{le=\"0.1\"} 1\n\
                        storyd_lag_seconds_bucket{le=\"+Inf\"} 2\n";
        assert_eq!(to_prometheus(om), expected);
    }

    #[test]
    fn help_text_keeps_only_the_escapes_of_the_older_format() {
        assert_eq!(
            help_text(r#"say \"hi\" \\ then\n"#),
            r#"say "hi" \\ then\n"#
        );
        assert_eq!(help_text("plain"), "plain");
        assert_eq!(help_text("trailing \\"), "trailing \\");
    }

    #[test]
    fn created_series_and_exemplars_are_dropped() {
        let om = "# HELP a_x X.\n# TYPE a_x counter\n\
                  a_x_total{k=\"v # w\"} 2 # {trace=\"t\"} 1\n\
                  a_x_created{k=\"v # w\"} 1700000000\n\
                  # HELP a_y_created Not a created series.\n# TYPE a_y_created gauge\n\
                  a_y_created 4\n# EOF\n";
        assert_eq!(
            to_prometheus(om),
            "# HELP a_x_total X.\n# TYPE a_x_total counter\na_x_total{k=\"v # w\"} 2\n\
             # HELP a_y_created Not a created series.\n# TYPE a_y_created gauge\na_y_created 4\n"
        );
        assert_eq!(without_exemplar("a 1 # {t=\"x\"} 2"), "a 1");
        assert_eq!(without_exemplar("a 1"), "a 1");
    }

    #[test]
    fn types_without_a_0_0_4_name_are_mapped() {
        let om = "# TYPE a unknown\na 1\n# TYPE b info\nb_info{v=\"1\"} 1\n# EOF\n";
        assert_eq!(
            to_prometheus(om),
            "# TYPE a untyped\na 1\n# TYPE b_info gauge\nb_info{v=\"1\"} 1\n"
        );
    }

    #[test]
    fn openmetrics_only_when_asked_for() {
        use Format::*;
        // Prometheus 2 and 3 scrapers.
        let prometheus = "application/openmetrics-text;version=1.0.0;q=0.5,\
                          application/openmetrics-text;version=0.0.1;q=0.4,\
                          text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
        let prometheus3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
                           text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,*/*;q=0.2";
        for (accept, format) in [
            (None, Prometheus),
            (Some(""), Prometheus),
            (Some("*/*"), Prometheus),
            (Some("text/plain"), Prometheus),
            (Some("text/plain; version=0.0.4"), Prometheus),
            (Some("application/json"), Prometheus),
            (Some(prometheus), OpenMetrics),
            (Some(prometheus3), OpenMetrics),
            (Some("application/openmetrics-text"), OpenMetrics),
            (
                Some("Application/OpenMetrics-Text; Version=1.0.0"),
                OpenMetrics,
            ),
            (Some("application/openmetrics-text;q=0"), Prometheus),
            (
                Some("text/plain;q=1, application/openmetrics-text;q=0.5"),
                Prometheus,
            ),
            (
                Some("application/openmetrics-text;q=0.5, text/plain;q=0.5"),
                OpenMetrics,
            ),
            (Some("application/openmetrics-text;q=zero"), Prometheus),
        ] {
            assert_eq!(Format::negotiate(accept), format, "{accept:?}");
        }
        assert!(
            Prometheus
                .content_type()
                .starts_with("text/plain; version=0.0.4")
        );
        assert!(
            OpenMetrics
                .content_type()
                .starts_with("application/openmetrics-text")
        );
    }
}
