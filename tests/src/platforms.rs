//! The platforms every shared case list runs against, and the macro that runs a list.
//!
//! A [`Target`] says which adapter serves a platform, how the mock names its
//! behaviours there (`mode` → public model `<adapter>-<mode>`, upstream model
//! `<prefix><mode>`), and what a client must see for the platform's recorded errors
//! and streams. The tables are in [`table`]; the case lists that use them are
//! `tests/tests/conformance.rs` (plain, stream, usage, tools, errors, byte splits) and
//! `tests/tests/honest_streams.rs` (upstream answers that lie).
//!
//! [`platform_cases!`](crate::platform_cases) expands a list for one platform into one
//! test per case. A platform that cannot run a case says so, with the reason: the case
//! becomes an ignored test that shows in every run (`cargo test -- --ignored` runs it
//! and shows the gap), and a list check fails when a case is neither run nor skipped.

mod table;

pub use table::{anthropic, azure, coze, gemini, openai};

use crate::mock_upstream::dishonest::Platform;
use crate::{MockUpstream, TestConfig, TestGateway};

/// The mode that stands for "the echo, sent with a key the upstream refuses".
pub const WRONG_KEY: &str = "wrong-key";

/// Text with 2-, 3- and 4-byte UTF-8 characters, for byte splits to cut through.
pub const UTF8_TEXT: &str = "Grüße aus Zürich, 東京の天気は？ 今天是星期几？ 🚀🌧️ naïve café";

/// One platform under test.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// The adapter (and the prefix of the public model names).
    pub adapter: &'static str,
    /// The mock's platform (its prefix names the upstream models).
    pub platform: Platform,
    /// An upstream key in this platform's format that the mock refuses.
    pub wrong_key: &'static str,
    /// The platform's upstream errors and the OpenAI error a client must get.
    pub errors: &'static [UpstreamError],
    /// Streams that must read the same whole, split and byte by byte.
    pub replays: &'static [Replay],
    /// A stream that fails after it started, if the mock has one for this platform.
    pub midstream: Option<Midstream>,
}

/// An upstream failure and the OpenAI error the client must get for it, streamed or
/// not (nothing was streamed yet, so it is always an HTTP error).
#[derive(Clone, Copy, Debug)]
pub struct UpstreamError {
    /// The mock's mode (or [`WRONG_KEY`]).
    pub mode: &'static str,
    /// The HTTP status the client gets.
    pub status: u16,
    /// `error.type`.
    pub kind: &'static str,
    /// `error.code`; `None` means it must be null.
    pub code: Option<&'static str>,
    /// The `retry-after` header the upstream's own must become, if any.
    pub retry_after: Option<&'static str>,
    /// Text the message must contain (the upstream's own words), if checked.
    pub message: Option<&'static str>,
}

/// A stream replayed whole and cut by the mock's `-split` and `-bytewise` suffixes.
#[derive(Clone, Copy, Debug)]
pub struct Replay {
    /// The mock's mode.
    pub mode: &'static str,
    /// Whether the request declares a tool.
    pub tools: bool,
    /// Whether the whole stream must carry one usage chunk (usage is always asked).
    pub usage: bool,
}

/// A stream that fails after some content.
#[derive(Clone, Copy, Debug)]
pub struct Midstream {
    /// The mock's mode.
    pub mode: &'static str,
    /// The content that arrives before the failure.
    pub content: &'static str,
    /// Text the error event's message must contain.
    pub message: &'static str,
}

impl Target {
    /// The public model whose upstream model names `mode` on this platform.
    pub fn model(&self, mode: &str) -> String {
        format!("{}-{mode}", self.adapter)
    }

    /// The upstream model (deployment, bot) that picks `mode` in the mock.
    pub fn upstream(&self, mode: &str) -> String {
        format!("{}{mode}", self.platform.prefix())
    }

    /// The base URL this adapter expects for the mock.
    pub fn base_url(&self, mock: &MockUpstream) -> String {
        match self.platform {
            Platform::OpenAi => mock.base_url(),
            _ => format!("http://{}", mock.addr()),
        }
    }

    /// Adds the public model `name` serving `mode` ([`WRONG_KEY`]: the echo with
    /// [`Self::wrong_key`]).
    pub fn deploy(
        &self,
        config: TestConfig,
        mock: &MockUpstream,
        name: &str,
        mode: &str,
    ) -> TestConfig {
        let base = self.base_url(mock);
        if mode == WRONG_KEY {
            let upstream = self.upstream("echo");
            return config.model_with_key(name, self.adapter, &upstream, &base, self.wrong_key);
        }
        config.model(name, self.adapter, &self.upstream(mode), &base)
    }

    /// A mock upstream and a gateway serving [`Self::model`] for each mode.
    pub async fn start(&self, modes: &[&str]) -> anyhow::Result<(MockUpstream, TestGateway)> {
        let names: Vec<(String, &str)> = modes.iter().map(|m| (self.model(m), *m)).collect();
        let named: Vec<(&str, &str)> = names.iter().map(|(n, m)| (n.as_str(), *m)).collect();
        self.start_named(&named).await
    }

    /// A mock upstream and a gateway serving each `(public name, mode)`.
    pub async fn start_named(
        &self,
        models: &[(&str, &str)],
    ) -> anyhow::Result<(MockUpstream, TestGateway)> {
        let mock = MockUpstream::start().await?;
        let mut config = TestConfig::new();
        for (name, mode) in models {
            config = self.deploy(config, &mock, name, mode);
        }
        let gateway = TestGateway::start(&config.to_toml()).await?;
        Ok((mock, gateway))
    }
}

/// What is wrong with one platform's expansion of a case list: a case neither run
/// nor skipped, a name that is not a case, or a case listed twice.
pub fn case_list_problems(all: &[&str], run: &[&str], skipped: &[&str]) -> Vec<String> {
    let listed: Vec<&str> = run.iter().chain(skipped).copied().collect();
    let mut problems: Vec<String> = all
        .iter()
        .filter(|case| !listed.contains(case))
        .map(|case| format!("`{case}` is neither run nor skipped (with a reason)"))
        .collect();
    for (i, case) in listed.iter().enumerate() {
        if !all.contains(case) {
            problems.push(format!("`{case}` is not in the case list"));
        }
        if listed[..i].contains(case) {
            problems.push(format!("`{case}` is listed twice"));
        }
    }
    problems
}

/// Expands a case list for one platform: `platform_cases!(cases; coze: a, b; skip c =
/// "why")`, written where the module `cases` is visible, makes `mod coze` with a test
/// per case calling `cases::a(e2e::platforms::coze())`, an ignored test for each
/// skipped case (with its reason), and a test that every case of `cases::ALL` is run
/// or skipped.
#[macro_export]
macro_rules! platform_cases {
    (
        $cases:ident; $platform:ident: $($case:ident),+ $(,)?
        $(; skip $($skipped:ident = $reason:literal),+ $(,)?)?
    ) => {
        mod $platform {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$cases::$case($crate::platforms::$platform()).await;
                }
            )+
            $($(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = $reason]
                async fn $skipped() {
                    super::$cases::$skipped($crate::platforms::$platform()).await;
                }
            )+)?
            #[test]
            fn every_case_is_run_or_skipped() {
                let problems = $crate::platforms::case_list_problems(
                    super::$cases::ALL,
                    &[$(stringify!($case)),+],
                    &[$($(stringify!($skipped)),+)?],
                );
                assert!(problems.is_empty(), "{}: {problems:?}", stringify!($platform));
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::case_list_problems;

    #[test]
    fn a_case_neither_run_nor_skipped_or_listed_twice_is_a_problem() {
        let all = ["plain", "stream", "tools"];
        assert!(case_list_problems(&all, &["plain", "tools"], &["stream"]).is_empty());
        assert_eq!(
            case_list_problems(&all, &["plain", "tools"], &[]).len(),
            1,
            "`stream` is missing"
        );
        assert_eq!(
            case_list_problems(&all, &["plain", "tools", "plain"], &["stream"]).len(),
            1,
            "`plain` twice"
        );
        assert_eq!(
            case_list_problems(&all, &["plain", "tools", "stream", "usage"], &[]).len(),
            1,
            "`usage` is not a case"
        );
    }
}
