//! `switchyard plugin check` as an adapter author runs it: the real binary on the
//! built-in adapters with their golden fixtures (all pass), on adapters that are
//! broken in the ways authors break them (wrong output, trap, endless loop, another
//! contract version), and with fixture files that are themselves wrong.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use e2e::binary;
use e2e::wasm;

/// How long the gateway may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit status\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    fn assert_stdout_has(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}:\n{}",
            self.stdout
        );
        self
    }
}

/// Runs `switchyard <args>` in an empty folder.
fn switchyard(args: &[&str]) -> Run {
    let cwd = tempfile::tempdir().expect("temp dir");
    let Output {
        status,
        stdout,
        stderr,
    } = binary::command(cwd.path())
        .expect("the switchyard binary builds")
        .args(args)
        .output()
        .expect("switchyard runs");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn fixtures(adapter: &str) -> PathBuf {
    binary::workspace_root()
        .join("plugins")
        .join(adapter)
        .join("fixtures")
}

fn fixture_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("fixtures folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            path.file_stem()
                .expect("stem")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn every_built_in_adapter_passes_its_fixtures_and_reports_fuel() {
    for (name, wasm) in [
        ("openai", wasm::OPENAI),
        ("anthropic", wasm::ANTHROPIC),
        ("gemini", wasm::GEMINI),
        ("azure", wasm::AZURE),
        ("coze", wasm::COZE),
    ] {
        let dir = fixtures(name);
        let names = fixture_names(&dir);
        assert!(names.len() >= 5, "{name}: too few fixtures to mean much");
        let run = switchyard(&["plugin", "check", wasm, path(&dir)]);
        run.assert_code(0)
            .assert_stdout_has(&format!("  name:         {name}\n"))
            .assert_stdout_has("loaded (contract switchyard:adapter@0.2.")
            .assert_stdout_has(&format!("{} passed, 0 failed", names.len()));
        for fixture in &names {
            let line = run
                .stdout
                .lines()
                .find(|line| line.starts_with(&format!("PASS  {fixture} ")))
                .unwrap_or_else(|| panic!("{name}: no PASS line for {fixture}:\n{}", run.stdout));
            let fuel: u64 = line
                .rsplit(' ')
                .next()
                .and_then(|fuel| fuel.parse().ok())
                .unwrap_or_else(|| panic!("{name}: no fuel number in {line:?}"));
            assert!(
                fuel > 0,
                "{name}/{fixture}: the adapter ran no instruction?"
            );
        }
    }
}

#[test]
fn the_messages_dialect_passes_its_fixtures_and_a_changed_one_fails() {
    let dir = fixtures("messages");
    let names = fixture_names(&dir);
    assert!(names.len() >= 5, "too few dialect fixtures to mean much");
    let run = switchyard(&["plugin", "check", wasm::MESSAGES, path(&dir)]);
    run.assert_code(0)
        .assert_stdout_has("loaded (dialect, contract switchyard:adapter@0.2.")
        .assert_stdout_has("  endpoint:     messages\n")
        .assert_stdout_has(&format!("{} passed, 0 failed", names.len()));

    // One expected event changed: the report names the event and both values.
    let altered = tempfile::tempdir().expect("temp dir");
    let source = std::fs::read_to_string(dir.join("stream-text-tool.json")).expect("fixture");
    let mut case: serde_json::Value = serde_json::from_str(&source).expect("json");
    case["events"][0]["message"]["model"] = "another-model".into();
    std::fs::write(
        altered.path().join("stream-text-tool.json"),
        case.to_string(),
    )
    .expect("write");
    let run = switchyard(&["plugin", "check", wasm::MESSAGES, path(altered.path())]);
    run.assert_code(1)
        .assert_stdout_has("FAIL  stream-text-tool")
        .assert_stdout_has("stream, one chunk per push: $[0].message.model differs")
        .assert_stdout_has("expected: \"another-model\"");
}

#[test]
fn an_adapter_that_alters_output_fails_with_fixture_path_and_both_values() {
    // `shout` is the OpenAI adapter with every assistant content upper-cased.
    let run = switchyard(&["plugin", "check", wasm::SHOUT, path(&fixtures("openai"))]);
    run.assert_code(1)
        .assert_stdout_has("FAIL  chat ")
        .assert_stdout_has(
            "chat: transform-response: expect.body.choices[0].message.content differs",
        )
        .assert_stdout_has("expected: \"Hi there! How can I help you today?")
        .assert_stdout_has("actual:   \"HI THERE! HOW CAN I HELP YOU TODAY?")
        .assert_stdout_has(
            "stream-text: stream replayed whole: expect_chunks[1].choices[0].delta.content differs",
        )
        .assert_stdout_has("expected: \"Hi\"\n        actual:   \"HI\"")
        .assert_stdout_has("PASS  tools ");
    assert!(
        run.stdout.contains(" failed") && !run.stdout.contains(" 0 failed"),
        "the summary counts the failures:\n{}",
        run.stdout
    );
}

#[test]
fn a_trapping_adapter_fails_each_fixture_at_transform_request() {
    let run = switchyard(&["plugin", "check", wasm::TRAP, path(&fixtures("openai"))]);
    run.assert_code(1)
        .assert_stdout_has("  name:         trap\n")
        .assert_stdout_has("FAIL  chat ")
        .assert_stdout_has("chat: transform-request: adapter trapped: wasm trap:")
        .assert_stdout_has("0 passed, ");
}

#[test]
fn a_spinning_adapter_is_stopped_by_the_configured_deadline() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        fixtures("openai").join("chat.json"),
        dir.path().join("chat.json"),
    )
    .expect("copy a fixture");
    let config = dir.path().join("check.toml");
    std::fs::write(&config, "[plugins]\ncall_timeout_ms = 150\n").expect("write config");
    let run = switchyard(&[
        "plugin",
        "check",
        wasm::SPIN,
        path(dir.path()),
        "--config",
        path(&config),
    ]);
    run.assert_code(1)
        .assert_stdout_has("chat: transform-request: adapter call exceeded its 150ms deadline")
        .assert_stdout_has("0 passed, 1 failed");
}

#[test]
fn another_contract_version_is_refused_naming_both_versions() {
    let run = switchyard(&["plugin", "check", wasm::FUTURE, path(&fixtures("openai"))]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("adapter targets contract switchyard:adapter@0.3.0")
            && run
                .stderr
                .contains("this host supports switchyard:adapter@0.1.x and 0.2.x"),
        "stderr names the plugin's and the host's versions:\n{}",
        run.stderr
    );
    assert!(!run.stdout.contains("PASS"), "nothing was replayed");
}

#[test]
fn broken_fixture_files_fail_by_name_and_an_empty_folder_checks_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("typo.json"),
        r#"{"request": {"model": "m", "messages": []}, "expect_chunk": []}"#,
    )
    .expect("write fixture");
    std::fs::write(
        dir.path().join("request-only.json"),
        r#"{"request": {"model": "m", "messages": [{"role": "user", "content": "Hi"}]},
            "upstream_request": {"method": "POST", "path_and_query": "/chat/completions"}}"#,
    )
    .expect("write fixture");
    let run = switchyard(&["plugin", "check", wasm::OPENAI, path(dir.path())]);
    run.assert_code(1)
        .assert_stdout_has("PASS  request-only ")
        .assert_stdout_has("FAIL  typo ")
        .assert_stdout_has("typo: invalid fixture: expect_chunk: unknown field `expect_chunk`")
        .assert_stdout_has("1 passed, 1 failed");

    let empty = tempfile::tempdir().expect("temp dir");
    let run = switchyard(&["plugin", "check", wasm::OPENAI, path(empty.path())]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("no *.json fixtures in"),
        "{}",
        run.stderr
    );

    let run = switchyard(&["plugin", "check", wasm::OPENAI]);
    run.assert_code(0)
        .assert_stdout_has("  endpoints:    chat-completions, embeddings, responses\n")
        .assert_stdout_has("  credential:   bearer");
}

#[test]
fn without_a_subcommand_the_binary_still_serves_with_config() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("plugins")).expect("plugins dir");
    let config = root.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nhost = \"127.0.0.1\"\nport = 0\nlog_level = \"warn\"\n\n\
             [storage]\ndatabase_url = \"sqlite://{}\"\n\n[auth]\nenable_client_auth = false\n\n\
             [plugins]\ndir = \"{}\"\n",
            root.join("switchyard.db").display(),
            root.join("plugins").display()
        ),
    )
    .expect("write config");
    let mut child = binary::command(root)
        .expect("the switchyard binary builds")
        .args(["--config", path(&config)])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("switchyard starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (lines, ready) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let line = ready.recv_timeout(READY_TIMEOUT);
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("a ready line on stdout");
    assert!(
        line.starts_with("switchyard listening on http://127.0.0.1:"),
        "{line}"
    );
}
