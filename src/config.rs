//! Configuration: the TOML file is read into a raw form, then validated into the [`Config`]
//! every other stage runs on. Validation messages name the key and the problem.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

/// Where `--config` points when neither the flag nor `$STORYD_CONFIG` is given.
pub const DEFAULT_CONFIG_PATH: &str = "config/storyd.toml";

/// A configuration that could not be read or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or mistyped keys.
    #[error("invalid config {path}: {message}")]
    Syntax {
        /// The config file.
        path: PathBuf,
        /// The parser's message (it names the key and line).
        message: String,
    },
    /// A key has a value that is not allowed.
    #[error("invalid config {path}: {key}: {problem}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// The dotted key, e.g. `scheduler.per_host` or `feeds[3].url`.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// The raw file, as written; every field optional so that defaults apply.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    opml: Vec<String>,
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    scheduler: RawScheduler,
    #[serde(default)]
    clustering: RawClustering,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    feeds: Vec<RawFeed>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<String>,
    admin_token: Option<String>,
    allow_private_feeds: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    path: Option<String>,
    retention: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScheduler {
    interval: Option<String>,
    min_interval: Option<String>,
    max_interval: Option<String>,
    concurrency: Option<i64>,
    per_host: Option<i64>,
    timeout: Option<String>,
    max_body: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClustering {
    window: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    level: Option<String>,
    format: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    url: String,
    name: Option<String>,
    interval: Option<String>,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from (relative paths in it are relative to the working directory,
    /// `file:` feed URLs without `//` to the file's directory).
    pub path: PathBuf,
    /// `[server]`.
    pub server: ServerConfig,
    /// `[store]`.
    pub store: StoreConfig,
    /// `[scheduler]`.
    pub scheduler: SchedulerConfig,
    /// `[clustering]`.
    pub clustering: ClusteringConfig,
    /// `[log]`.
    pub log: LogConfig,
    /// `[[feeds]]` in file order, then the feeds of the `opml` files not configured already.
    pub feeds: Vec<FeedConfig>,
    /// The `opml` files, as found: next to the config file, else from the working directory.
    pub opml: Vec<PathBuf>,
}

/// `[server]`: the query endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Bearer token that enables the write endpoints.
    pub admin_token: Option<String>,
    /// Whether feeds added through the API may point at loopback, private or link-local
    /// addresses (off: only public addresses, against server-side request forgery).
    pub allow_private_feeds: bool,
}

/// `[store]`: where and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// The sled directory.
    pub path: PathBuf,
    /// Articles and stories older than this are pruned.
    pub retention: Duration,
}

/// `[scheduler]`: how politely feeds are polled.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerConfig {
    /// Default poll interval.
    pub interval: Duration,
    /// Lower bound of adapted intervals.
    pub min_interval: Duration,
    /// Upper bound of adapted intervals and of back-off.
    pub max_interval: Duration,
    /// Fetches in flight, all hosts.
    pub concurrency: usize,
    /// Fetches in flight per host.
    pub per_host: usize,
    /// Total timeout of one fetch.
    pub timeout: Duration,
    /// Largest body accepted, after decompression.
    pub max_body: u64,
}

/// `[clustering]`: the story engine's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusteringConfig {
    /// How far back a new article may join a story.
    pub window: Duration,
}

/// Output format of the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// `[log]`: level and format (`RUST_LOG` overrides the level).
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    /// A tracing filter such as `info` or `storyd=debug`.
    pub level: String,
    /// Text or JSON.
    pub format: LogFormat,
}

/// One `[[feeds]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    /// The URL as written (the feed's id derives from it).
    pub configured_url: String,
    /// The absolute URL to fetch.
    pub url: Url,
    /// Display name, if given.
    pub name: Option<String>,
    /// Poll interval override.
    pub interval: Option<Duration>,
    /// The site's own page (OPML `htmlUrl`), if known.
    pub html_url: Option<String>,
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Validates `text` as if read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        Validator { path }.config(raw)
    }

    /// The admin token: the config's, else `$STORYD_ADMIN_TOKEN`.
    pub fn admin_token(&self) -> Option<String> {
        self.server
            .admin_token
            .clone()
            .or_else(|| std::env::var("STORYD_ADMIN_TOKEN").ok())
            .filter(|t| !t.is_empty())
    }
}

/// Turns raw values into checked ones, naming the key on failure.
struct Validator<'a> {
    path: &'a Path,
}

/// The paths an `opml` entry may name, in the order they are tried: next to the config file
/// (`dir`), then from the working directory; one path when the two are the same.
fn opml_candidates(dir: &Path, file: &Path) -> Vec<PathBuf> {
    let beside = dir.join(file);
    if beside == file {
        vec![beside]
    } else {
        vec![beside, file.to_owned()]
    }
}

impl Validator<'_> {
    fn invalid(&self, key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_owned(),
            key: key.into(),
            problem: problem.into(),
        }
    }

    fn duration(
        &self,
        key: &str,
        raw: Option<&str>,
        default: &str,
    ) -> Result<Duration, ConfigError> {
        let text = raw.unwrap_or(default);
        let d = humantime::parse_duration(text).map_err(|e| {
            self.invalid(
                key,
                format!("not a duration ({e}); write e.g. \"15m\", \"6h\", \"30d\""),
            )
        })?;
        if d.is_zero() {
            return Err(self.invalid(key, "must be longer than zero"));
        }
        Ok(d)
    }

    fn count(&self, key: &str, raw: Option<i64>, default: i64) -> Result<usize, ConfigError> {
        let n = raw.unwrap_or(default);
        if n < 1 {
            return Err(self.invalid(key, "must be at least 1"));
        }
        usize::try_from(n).map_err(|_| self.invalid(key, "is too large"))
    }

    fn config(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let listen_text = raw.server.listen.as_deref().unwrap_or("127.0.0.1:8080");
        let listen = listen_text.parse().map_err(|_| {
            self.invalid(
                "server.listen",
                format!("not an address:port: {listen_text:?}"),
            )
        })?;
        let store = StoreConfig {
            path: PathBuf::from(raw.store.path.as_deref().unwrap_or("data/storyd")),
            retention: self.duration("store.retention", raw.store.retention.as_deref(), "30d")?,
        };
        if store.path.as_os_str().is_empty() {
            return Err(self.invalid("store.path", "must not be empty"));
        }
        let scheduler = self.scheduler(&raw.scheduler)?;
        let clustering = ClusteringConfig {
            window: self.duration("clustering.window", raw.clustering.window.as_deref(), "72h")?,
        };
        let log = self.log(&raw.log)?;
        let mut feeds = raw
            .feeds
            .iter()
            .enumerate()
            .map(|(i, f)| self.feed(i, f))
            .collect::<Result<Vec<_>, _>>()?;
        let mut seen = std::collections::HashSet::new();
        for (i, f) in feeds.iter().enumerate() {
            if !seen.insert(f.configured_url.as_str()) {
                return Err(self.invalid(
                    format!("feeds[{i}].url"),
                    "the same URL is configured twice",
                ));
            }
        }
        let mut opml = Vec::new();
        for (i, file) in raw.opml.iter().enumerate() {
            let (path, more) = self.opml_feeds(i, file)?;
            for feed in more {
                // A feed already configured keeps its [[feeds]] entry (with its overrides).
                if !feeds
                    .iter()
                    .any(|f| f.configured_url == feed.configured_url)
                {
                    feeds.push(feed);
                }
            }
            opml.push(path);
        }
        Ok(Config {
            path: self.path.to_owned(),
            server: ServerConfig {
                listen,
                admin_token: raw.server.admin_token,
                allow_private_feeds: raw.server.allow_private_feeds.unwrap_or(false),
            },
            store,
            scheduler,
            clustering,
            log,
            feeds,
            opml,
        })
    }

    /// Where the OPML file `opml[i]` is: relative to the config file's folder when a file is
    /// there, else to the working directory (as `store.path` is).
    fn opml_path(&self, key: &str, file: &str) -> Result<PathBuf, ConfigError> {
        let file = Path::new(file.trim());
        if file.as_os_str().is_empty() {
            return Err(self.invalid(key, "must not be empty"));
        }
        let dir = self.path.parent().unwrap_or(Path::new(""));
        let candidates = opml_candidates(dir, file);
        if let Some(found) = candidates.iter().find(|p| p.exists()) {
            return Ok(found.clone());
        }
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        Err(self.invalid(
            key,
            format!(
                "no such file: tried {} (relative paths are looked up next to the config \
                 file, then in the working directory)",
                tried.join(" and ")
            ),
        ))
    }

    /// The feeds of the OPML file `opml[i]` (see [`Validator::opml_path`]).
    fn opml_feeds(&self, i: usize, file: &str) -> Result<(PathBuf, Vec<FeedConfig>), ConfigError> {
        let key = format!("opml[{i}]");
        let path = self.opml_path(&key, file)?;
        let bytes = std::fs::read(&path)
            .map_err(|e| self.invalid(&key, format!("cannot read {}: {e}", path.display())))?;
        let outlines = crate::opml::read(&bytes)
            .map_err(|e| self.invalid(&key, format!("{}: {e}", path.display())))?;
        let mut feeds = Vec::with_capacity(outlines.len());
        for (n, outline) in outlines.into_iter().enumerate() {
            let url = self.feed_url(&outline.url).ok_or_else(|| {
                let problem = format!(
                    "{}: outline {n} has an xmlUrl that is not an http(s) or file URL: {:?}",
                    path.display(),
                    outline.url
                );
                self.invalid(&key, problem)
            })?;
            if feeds.iter().any(|f: &FeedConfig| f.url == url) {
                continue;
            }
            feeds.push(FeedConfig {
                configured_url: outline.url.trim().to_owned(),
                url,
                name: outline.title,
                interval: None,
                html_url: outline.html_url,
            });
        }
        Ok((path, feeds))
    }

    fn scheduler(&self, raw: &RawScheduler) -> Result<SchedulerConfig, ConfigError> {
        let s = SchedulerConfig {
            interval: self.duration("scheduler.interval", raw.interval.as_deref(), "15m")?,
            min_interval: self.duration(
                "scheduler.min_interval",
                raw.min_interval.as_deref(),
                "5m",
            )?,
            max_interval: self.duration(
                "scheduler.max_interval",
                raw.max_interval.as_deref(),
                "6h",
            )?,
            concurrency: self.count("scheduler.concurrency", raw.concurrency, 32)?,
            per_host: self.count("scheduler.per_host", raw.per_host, 2)?,
            timeout: self.duration("scheduler.timeout", raw.timeout.as_deref(), "30s")?,
            max_body: self.size("scheduler.max_body", raw.max_body.as_deref(), "8MiB")?,
        };
        if s.min_interval > s.max_interval {
            return Err(self.invalid(
                "scheduler.min_interval",
                "must not be longer than scheduler.max_interval",
            ));
        }
        if s.interval < s.min_interval || s.interval > s.max_interval {
            return Err(self.invalid(
                "scheduler.interval",
                "must lie between scheduler.min_interval and scheduler.max_interval",
            ));
        }
        Ok(s)
    }

    fn size(&self, key: &str, raw: Option<&str>, default: &str) -> Result<u64, ConfigError> {
        let text = raw.unwrap_or(default);
        let size: bytesize::ByteSize = text.trim().parse().map_err(|e| {
            self.invalid(
                key,
                format!("not a size ({e}); write e.g. \"8MiB\" or \"500kB\""),
            )
        })?;
        if size.as_u64() < 1024 {
            return Err(self.invalid(key, "must be at least 1KiB"));
        }
        Ok(size.as_u64())
    }

    fn log(&self, raw: &RawLog) -> Result<LogConfig, ConfigError> {
        let level = raw.level.clone().unwrap_or_else(|| "info".to_owned());
        if tracing_subscriber::EnvFilter::builder()
            .parse(&level)
            .is_err()
        {
            return Err(self.invalid(
                "log.level",
                format!("not a log filter: {level:?} (try \"info\" or \"storyd=debug\")"),
            ));
        }
        let format = match raw.format.as_deref().unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(self.invalid(
                    "log.format",
                    format!("must be \"text\" or \"json\", not {other:?}"),
                ));
            }
        };
        Ok(LogConfig { level, format })
    }

    fn feed(&self, i: usize, raw: &RawFeed) -> Result<FeedConfig, ConfigError> {
        let key = |k: &str| format!("feeds[{i}].{k}");
        let url = self.feed_url(&raw.url).ok_or_else(|| {
            self.invalid(
                key("url"),
                format!("not an http(s) or file URL: {:?}", raw.url),
            )
        })?;
        let interval = match raw.interval.as_deref() {
            Some(text) => Some(self.duration(&key("interval"), Some(text), "")?),
            None => None,
        };
        let name = raw
            .name
            .as_ref()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        Ok(FeedConfig {
            configured_url: raw.url.trim().to_owned(),
            url,
            name,
            interval,
            html_url: None,
        })
    }

    /// http(s) URLs with a host, `file:///abs/path`, or `file:rel/path` relative to the config's folder.
    fn feed_url(&self, text: &str) -> Option<Url> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("file:").filter(|r| !r.starts_with('/')) {
            let dir = self.path.parent().unwrap_or(Path::new("."));
            let abs = std::path::absolute(dir.join(rest)).ok()?;
            return Url::from_file_path(abs).ok();
        }
        let url = Url::parse(text).ok()?;
        match url.scheme() {
            "http" | "https" if url.host().is_some() => Some(url),
            "file" if !url.path().is_empty() => Some(url),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/storyd/storyd.toml"))
    }

    fn error(text: &str) -> String {
        match parse(text) {
            Ok(c) => panic!("expected an error, got {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn opml_paths_are_tried_beside_the_config_then_from_the_working_directory() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(
            opml_candidates(Path::new("config"), Path::new("config/feeds.opml")),
            [p("config/config/feeds.opml"), p("config/feeds.opml")]
        );
        assert_eq!(
            opml_candidates(Path::new(""), Path::new("feeds.opml")),
            [p("feeds.opml")]
        );
        assert_eq!(
            opml_candidates(Path::new("/etc/storyd"), Path::new("/srv/feeds.opml")),
            [p("/srv/feeds.opml")]
        );
    }

    #[test]
    fn defaults_apply_to_an_empty_file() {
        let c = parse("").unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.store.path, PathBuf::from("data/storyd"));
        assert_eq!(c.store.retention, Duration::from_secs(30 * 86400));
        assert_eq!(c.scheduler.interval, Duration::from_secs(900));
        assert_eq!(c.scheduler.min_interval, Duration::from_secs(300));
        assert_eq!(c.scheduler.max_interval, Duration::from_secs(6 * 3600));
        assert_eq!((c.scheduler.concurrency, c.scheduler.per_host), (32, 2));
        assert_eq!(c.scheduler.timeout, Duration::from_secs(30));
        assert_eq!(c.scheduler.max_body, 8 * 1024 * 1024);
        assert_eq!(c.clustering.window, Duration::from_secs(72 * 3600));
        assert!(c.feeds.is_empty());
    }

    #[test]
    fn feeds_are_read_with_overrides() {
        let c = parse(
            "[[feeds]]\nurl = \"https://Example.org/feed.xml\"\nname = \"Example\"\ninterval = \"10m\"\n\
             [[feeds]]\nurl = \"file:demo/a.xml\"\n",
        )
        .unwrap();
        assert_eq!(c.feeds[0].url.as_str(), "https://example.org/feed.xml");
        assert_eq!(c.feeds[0].name.as_deref(), Some("Example"));
        assert_eq!(c.feeds[0].interval, Some(Duration::from_secs(600)));
        assert_eq!(c.feeds[1].url.as_str(), "file:///etc/storyd/demo/a.xml");
        assert_eq!(c.feeds[1].configured_url, "file:demo/a.xml");
    }

    #[test]
    fn messages_name_the_key_and_the_problem() {
        assert!(
            error("[scheduler]\nper_host = 0").contains("scheduler.per_host: must be at least 1")
        );
        let e = error(
            "[[feeds]]\nurl='https://a/'\n[[feeds]]\nurl='https://b/'\n[[feeds]]\nurl='https://c/'\n[[feeds]]\nurl='ftp://x/'",
        );
        assert!(
            e.contains("feeds[3].url: not an http(s) or file URL"),
            "{e}"
        );
        assert!(
            error("[scheduler]\ninterval = \"soon\"")
                .contains("scheduler.interval: not a duration")
        );
        assert!(
            error("[scheduler]\nmax_body = \"lots\"").contains("scheduler.max_body: not a size")
        );
        assert!(error("[server]\nlisten = \"localhost\"").contains("server.listen"));
        assert!(error("[log]\nformat = \"xml\"").contains("log.format"));
        assert!(error("[scheduler]\nmin_interval = \"7h\"").contains("scheduler.min_interval"));
        assert!(
            error("[[feeds]]\nurl='https://a/'\n[[feeds]]\nurl='https://a/'")
                .contains("configured twice")
        );
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let e = error("[scheduler]\nintervall = \"5m\"");
        assert!(e.contains("intervall"), "{e}");
        let e = error("colour = 1");
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn private_feeds_through_the_api_are_off_unless_allowed() {
        assert!(!parse("").unwrap().server.allow_private_feeds);
        let c = parse("[server]\nallow_private_feeds = true").unwrap();
        assert!(c.server.allow_private_feeds);
        assert!(error("[server]\nallow_private_feeds = \"yes\"").contains("allow_private_feeds"));
    }

    #[test]
    fn sizes_and_durations_are_human_readable() {
        let c = parse("[scheduler]\nmax_body = \"500 KiB\"\ntimeout = \"1m 30s\"").unwrap();
        assert_eq!(c.scheduler.max_body, 500 * 1024);
        assert_eq!(c.scheduler.timeout, Duration::from_secs(90));
    }
}
