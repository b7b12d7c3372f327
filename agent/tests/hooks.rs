//! The hooks runner with real processes: shell scripts written into a
//! temporary directory, run by a `HookRunner` on a tokio runtime. Waits poll
//! files, the runner's counters or the captured log with generous deadlines.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mpwan::hooks::output::read_line_capped;
use mpwan::hooks::queue::{EventQueue, Pushed};
use mpwan::hooks::{HookEvent, HookRunner, HookStats};
use mpwan_tracker::HealthState::{self, Degraded, Down, Init, Up};

/// Generous: hooks are real processes on a loaded 2-core machine.
const DEADLINE: Duration = Duration::from_secs(20);
/// Long enough that no hook in these tests reaches it unless meant to.
const LONG: Duration = Duration::from_secs(60);

/// Set in the environment of the re-run test binary; must not reach hooks.
const LEAK_VAR: &str = "MPWAN_HOOK_TEST_LEAK";

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("mpwan-hooks-")
        .tempdir()
        .unwrap()
}

/// Writes `dir/name` with `text` and `mode`.
fn write_file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// An executable `/bin/sh` hook `dir/name` running `body`.
fn hook(dir: &Path, name: &str, body: &str) -> PathBuf {
    write_file(dir, name, &format!("#!/bin/sh\n{body}\n"), 0o755)
}

fn ev(
    wan: &str,
    prev: HealthState,
    state: HealthState,
    rtt: Option<f64>,
    loss: Option<f64>,
) -> HookEvent {
    HookEvent::transition(wan, &format!("dev-{wan}"), prev, state, rtt, loss)
}

/// Polls `f` every 20 ms until it holds or `limit` passes: the hooks are
/// other processes, which offer no event to wait on.
async fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + limit;
    loop {
        if f() {
            return true;
        }
        if tokio::time::Instant::now() > end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_stats(runner: &HookRunner, f: impl Fn(&HookStats) -> bool) -> HookStats {
    let ok = wait_until(DEADLINE, || f(&runner.stats())).await;
    let stats = runner.stats();
    assert!(ok, "counters never got there: {stats:?}");
    stats
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn lines(path: &Path) -> Vec<String> {
    read(path).lines().map(str::to_string).collect()
}

/// Live (not zombie) processes whose process group is `pgid`.
fn live_members(pgid: i32) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces; split after ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string() {
            found.push(pid);
        }
    }
    found
}

/// A tracing subscriber writing plain text into a buffer, installed for
/// this thread (the tests' runtime is current-thread, so the runner's
/// tasks log through it).
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl LogBuf {
    fn install(&self, level: tracing::Level) -> tracing::subscriber::DefaultGuard {
        let buf = self.clone();
        let sub = tracing_subscriber::fmt()
            .with_writer(move || buf.clone())
            .with_ansi(false)
            .without_time()
            .with_max_level(level)
            .finish();
        tracing::subscriber::set_default(sub)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    fn lines_with(&self, needles: &[&str]) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| needles.iter().all(|n| l.contains(n)))
            .map(str::to_string)
            .collect()
    }
}

impl Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Re-runs this test binary with `LEAK_VAR` set, so that the agent-side
/// process has a variable of its own that must not reach the hook (setting
/// one in this multi-threaded process would need `unsafe`).
#[test]
fn hook_environment_is_exactly_the_documented_one() {
    let me = std::env::current_exe().unwrap();
    let out = std::process::Command::new(me)
        .args(["--exact", "env_probe", "--ignored", "--test-threads=1"])
        .env(LEAK_VAR, "must-not-leak")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "env_probe failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("test env_probe ... ok"),
        "env_probe did not run:\n{stdout}"
    );
}

#[tokio::test]
#[ignore = "run by hook_environment_is_exactly_the_documented_one, which sets the variable it checks"]
async fn env_probe() {
    assert_eq!(
        std::env::var(LEAK_VAR).as_deref(),
        Ok("must-not-leak"),
        "run me through hook_environment_is_exactly_the_documented_one"
    );
    let d = tempdir();
    let hooks = d.path().join("hooks.d");
    std::fs::create_dir(&hooks).unwrap();
    // awk, not sh: a shell adds PWD to what it exports.
    let out = d.path().display();
    write_file(
        &hooks,
        "50-env",
        &format!(
            "#!/usr/bin/awk -f\nBEGIN {{ out = \"{out}/env-\" ENVIRON[\"MPWAN_STATE\"]; \
             for (k in ENVIRON) print k \"=\" ENVIRON[k] > out; close(out) }}\n"
        ),
        0o755,
    );
    let runner = HookRunner::spawn(hooks, LONG);
    runner.submit(ev("wan1", Down, Up, Some(12.5), Some(0.0)));
    wait_stats(&runner, |s| s.ok == 1).await;
    runner.submit(ev("wan1", Up, Down, None, None));
    let stats = wait_stats(&runner, |s| s.ok == 2).await;
    assert_eq!((stats.failed, stats.timed_out), (0, 0));

    let parse = |state: &str| -> BTreeMap<String, String> {
        let text = read(&d.path().join(format!("env-{state}")));
        text.lines()
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect()
    };
    let expect = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let path = "/usr/sbin:/usr/bin:/sbin:/bin";
    assert_eq!(
        parse("up"),
        expect(&[
            ("MPWAN_EVENT", "transition"),
            ("MPWAN_WAN", "wan1"),
            ("MPWAN_DEVICE", "dev-wan1"),
            ("MPWAN_STATE", "up"),
            ("MPWAN_PREV_STATE", "down"),
            ("MPWAN_RTT_MS", "12.5"),
            ("MPWAN_LOSS", "0.0"),
            ("ACTION", "connected"),
            ("INTERFACE", "wan1"),
            ("DEVICE", "dev-wan1"),
            ("PATH", path),
        ])
    );
    assert_eq!(
        parse("down"),
        expect(&[
            ("MPWAN_EVENT", "transition"),
            ("MPWAN_WAN", "wan1"),
            ("MPWAN_DEVICE", "dev-wan1"),
            ("MPWAN_STATE", "down"),
            ("MPWAN_PREV_STATE", "up"),
            ("MPWAN_RTT_MS", ""),
            ("MPWAN_LOSS", ""),
            ("ACTION", "disconnected"),
            ("INTERFACE", "wan1"),
            ("DEVICE", "dev-wan1"),
            ("PATH", path),
        ])
    );
}

#[test]
fn mwan3_action_follows_usability_edges() {
    let action = |prev, state| ev("w", prev, state, None, None).mwan3_action();
    assert_eq!(action(Init, Up), "connected");
    assert_eq!(action(Down, Up), "connected");
    assert_eq!(action(Down, Degraded), "connected");
    assert_eq!(action(Init, Degraded), "connected");
    assert_eq!(action(Up, Down), "disconnected");
    assert_eq!(action(Degraded, Down), "disconnected");
    assert_eq!(action(Init, Down), "disconnected");
    // Still usable either side: mwan3 would not fire.
    assert_eq!(action(Up, Degraded), "");
    assert_eq!(action(Degraded, Up), "");
    assert_eq!(action(Up, Init), "");
    assert_eq!(action(Down, Down), "");
}

#[test]
fn unknown_or_nonfinite_numbers_are_empty() {
    let env: BTreeMap<_, _> = ev("w", Up, Degraded, Some(f64::NAN), Some(f64::INFINITY))
        .environment()
        .into_iter()
        .collect();
    assert_eq!(env["MPWAN_RTT_MS"], "");
    assert_eq!(env["MPWAN_LOSS"], "");
    let env: BTreeMap<_, _> = ev("w", Up, Degraded, Some(0.04), Some(37.5))
        .environment()
        .into_iter()
        .collect();
    assert_eq!(env["MPWAN_RTT_MS"], "0.0");
    assert_eq!(env["MPWAN_LOSS"], "37.5");
    assert_eq!(env["ACTION"], "");
}

#[test]
fn events_are_plain_data_and_handles_cross_threads() {
    let e = ev("wan1", Down, Degraded, Some(30.0), None);
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["state"], "degraded");
    assert_eq!(json["prev_state"], "down");
    assert_eq!(json["event"], "transition");
    assert_eq!(serde_json::from_value::<HookEvent>(json).unwrap(), e);
    fn send_sync<T: Send + Sync>() {}
    send_sync::<HookRunner>();
    send_sync::<mpwan::hooks::HookSubmitter>();
}

#[tokio::test]
async fn hooks_run_one_after_another_in_byte_order_of_name() {
    let d = tempdir();
    let log = d.path().join("order");
    // Byte order: digits < upper case < '_' < lower case; "10" < "2".
    // The first sleeps, so hooks run side by side would reorder the file.
    let names = ["10-b", "2-a", "A-upper", "_x", "a-lower"];
    for (i, name) in names.iter().enumerate() {
        let pause = if i == 0 { "sleep 0.3; " } else { "" };
        hook(
            d.path(),
            name,
            &format!("{pause}echo \"${{0##*/}}\" >> '{}'", log.display()),
        );
    }
    let runner = HookRunner::spawn(d.path().to_path_buf(), LONG);
    runner.submit(ev("wan1", Init, Up, None, None));
    wait_stats(&runner, |s| s.ok == 5).await;
    assert_eq!(lines(&log), names);
}

#[tokio::test]
async fn a_hook_is_killed_at_the_timeout_with_everything_it_started() {
    let d = tempdir();
    let hooks = d.path().join("hooks.d");
    std::fs::create_dir(&hooks).unwrap();
    let pgid_file = d.path().join("pgid");
    hook(
        &hooks,
        "10-stuck",
        &format!(
            "sleep 3600 &\necho $! > '{p}.sleep'\necho $$ > '{p}.tmp'\nmv '{p}.tmp' '{p}'\nwait",
            p = pgid_file.display()
        ),
    );
    let runner = HookRunner::spawn(hooks, Duration::from_millis(300));
    runner.submit(ev("wan1", Up, Down, None, None));
    let stats = wait_stats(&runner, |s| s.timed_out == 1).await;
    assert_eq!((stats.ok, stats.failed), (0, 0));
    let pgid: i32 = read(&pgid_file)
        .trim()
        .parse()
        .expect("the hook wrote its pid");
    let sleep_pid: i32 = read(&d.path().join("pgid.sleep")).trim().parse().unwrap();
    assert!(sleep_pid != pgid);
    let gone = wait_until(DEADLINE, || live_members(pgid).is_empty()).await;
    assert!(
        gone,
        "processes of the hook's group survived: {:?}",
        live_members(pgid)
    );
}

#[tokio::test]
async fn a_stuck_hook_delays_only_its_own_wan_and_dies_with_the_runner() {
    let d = tempdir();
    let hooks = d.path().join("hooks.d");
    std::fs::create_dir(&hooks).unwrap();
    let stuck = d.path().join("stuck");
    let ran = d.path().join("ran");
    hook(
        &hooks,
        "10-hook",
        &format!(
            "if [ \"$MPWAN_WAN\" = wan1 ]; then\n  sleep 3600 &\n  echo $$ > '{s}.tmp'\n  mv '{s}.tmp' '{s}'\n  wait\nfi\necho \"$MPWAN_WAN\" >> '{r}'",
            s = stuck.display(),
            r = ran.display()
        ),
    );
    let runner = HookRunner::spawn(hooks, LONG);
    let submitter = runner.submitter();
    submitter.submit(ev("wan1", Up, Down, None, None));
    assert!(
        wait_until(DEADLINE, || stuck.exists()).await,
        "wan1's hook never started"
    );
    let pgid: i32 = read(&stuck).trim().parse().unwrap();
    submitter.submit(ev("wan2", Down, Up, None, None));
    assert!(
        wait_until(DEADLINE, || read(&ran).contains("wan2")).await,
        "wan2's hook waited on wan1's"
    );
    assert_eq!(lines(&ran), ["wan2"], "wan1's hook is still stuck");
    assert!(!live_members(pgid).is_empty(), "wan1's hook ended early");
    assert_eq!(runner.stats().ok, 1);

    drop(runner);
    let gone = wait_until(DEADLINE, || live_members(pgid).is_empty()).await;
    assert!(
        gone,
        "dropping the runner left the hook's processes: {:?}",
        live_members(pgid)
    );
    // A tracker still holding a submitter is ignored, not an error.
    submitter.submit(ev("wan1", Down, Up, None, None));
    assert_eq!(lines(&ran), ["wan2"]);
}

#[tokio::test]
async fn one_wans_events_reach_the_hooks_in_order() {
    let d = tempdir();
    let hooks = d.path().join("hooks.d");
    std::fs::create_dir(&hooks).unwrap();
    hook(
        &hooks,
        "10-record",
        &format!(
            "echo \"$MPWAN_RTT_MS\" >> '{}'/out-\"$MPWAN_WAN\"",
            d.path().display()
        ),
    );
    let runner = HookRunner::spawn(hooks, LONG);
    for i in 0..20u32 {
        let state = if i % 2 == 0 { Down } else { Up };
        let prev = if i % 2 == 0 { Up } else { Down };
        runner.submit(ev("wan-a", prev, state, Some(f64::from(i)), None));
        runner.submit(ev("wan-b", prev, state, Some(f64::from(100 + i)), None));
    }
    let stats = wait_stats(&runner, |s| s.ok == 40).await;
    assert_eq!((stats.failed, stats.dropped), (0, 0));
    let expect = |base: u32| {
        (base..base + 20)
            .map(|i| format!("{i}.0"))
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(&d.path().join("out-wan-a")), expect(0));
    assert_eq!(lines(&d.path().join("out-wan-b")), expect(100));
}

#[tokio::test]
async fn a_full_queue_drops_the_oldest_events_and_keeps_the_latest() {
    let d = tempdir();
    let hooks = d.path().join("hooks.d");
    std::fs::create_dir(&hooks).unwrap();
    let p = d.path().display();
    // The first event's hook waits for a release file: the next 100 events
    // all arrive while it runs.
    hook(
        &hooks,
        "10-record",
        &format!(
            "echo \"$MPWAN_RTT_MS\" >> '{p}/seen'\nif [ \"$MPWAN_RTT_MS\" = 0.0 ]; then\n  touch '{p}/started'\n  while [ ! -e '{p}/release' ]; do sleep 0.02; done\nfi"
        ),
    );
    let runner = HookRunner::spawn(hooks, LONG);
    runner.submit(ev("wan1", Up, Down, Some(0.0), None));
    assert!(wait_until(DEADLINE, || d.path().join("started").exists()).await);
    for i in 1..=100u32 {
        runner.submit(ev("wan1", Up, Down, Some(f64::from(i)), None));
    }
    std::fs::write(d.path().join("release"), "").unwrap();
    let stats = wait_stats(&runner, |s| s.ok == 65).await;
    assert_eq!(stats.dropped, 36);
    let mut expect = vec!["0.0".to_string()];
    expect.extend((37..=100).map(|i| format!("{i}.0")));
    assert_eq!(lines(&d.path().join("seen")), expect);
}

#[test]
fn the_queue_drops_oldest_and_reports_once_per_burst() {
    let e = |i: u32| ev("w", Up, Down, Some(f64::from(i)), None);
    let mut q = EventQueue::new(3);
    assert_eq!(q.push(e(1)), Pushed::Queued);
    assert_eq!(q.push(e(2)), Pushed::Queued);
    assert_eq!(q.push(e(3)), Pushed::Queued);
    assert_eq!(q.push(e(4)), Pushed::DroppedOldest { first: true });
    assert_eq!(q.push(e(5)), Pushed::DroppedOldest { first: false });
    assert_eq!(q.len(), 3);
    let (first, dropped) = q.pop().unwrap();
    assert_eq!((first.rtt_ms, dropped), (Some(3.0), 2));
    assert_eq!(q.pop().map(|(e, d)| (e.rtt_ms, d)), Some((Some(4.0), 0)));
    assert_eq!(q.push(e(6)), Pushed::Queued);
    assert_eq!(q.pop().map(|(e, _)| e.rtt_ms), Some(Some(5.0)));
    assert_eq!(q.pop().map(|(e, _)| e.rtt_ms), Some(Some(6.0)));
    assert!(q.pop().is_none());
    // A bound of 0 still keeps the latest event.
    let mut q = EventQueue::new(0);
    q.push(e(1));
    q.push(e(2));
    assert_eq!(q.pop().map(|(e, d)| (e.rtt_ms, d)), Some((Some(2.0), 1)));
}

#[tokio::test]
async fn what_is_not_an_executable_file_is_skipped() {
    let d = tempdir();
    let hooks = d.path().join("hooks.d");
    std::fs::create_dir(&hooks).unwrap();
    let ran = d.path().join("ran");
    let body = format!("echo \"${{0##*/}}\" >> '{}'", ran.display());
    // All of these sort before 99-good, which runs last.
    hook(&hooks, ".hidden", &body);
    write_file(&hooks, "20-noexec", &format!("#!/bin/sh\n{body}\n"), 0o644);
    std::fs::create_dir(hooks.join("30-dir")).unwrap();
    std::fs::set_permissions(hooks.join("30-dir"), std::fs::Permissions::from_mode(0o755)).unwrap();
    hook(&hooks, "40-backup~", &body);
    std::os::unix::fs::symlink(hooks.join("missing"), hooks.join("50-dangling")).unwrap();
    hook(&hooks, "99-good", &body);
    let runner = HookRunner::spawn(hooks, LONG);
    runner.submit(ev("wan1", Init, Up, None, None));
    let stats = wait_stats(&runner, |s| s.ok == 1).await;
    assert_eq!((stats.failed, stats.timed_out), (0, 0));
    assert_eq!(lines(&ran), ["99-good"]);
}

#[tokio::test]
async fn a_hook_that_cannot_start_fails_and_the_next_still_runs() {
    let d = tempdir();
    let ran = d.path().join("ran");
    // No "#!": the kernel refuses it (ENOEXEC); we do not guess a shell.
    write_file(d.path(), "10-no-shebang", "echo hi\n", 0o755);
    hook(d.path(), "20-exit-3", "exit 3");
    hook(
        d.path(),
        "30-good",
        &format!("echo good >> '{}'", ran.display()),
    );
    let runner = HookRunner::spawn(d.path().to_path_buf(), LONG);
    runner.submit(ev("wan1", Init, Up, None, None));
    let stats = wait_stats(&runner, |s| s.ok == 1).await;
    assert_eq!((stats.failed, stats.timed_out), (2, 0));
    assert_eq!(lines(&ran), ["good"]);
}

#[tokio::test]
async fn a_missing_directory_runs_nothing_says_so_once_and_a_reload_fixes_it() {
    let logs = LogBuf::default();
    let _guard = logs.install(tracing::Level::DEBUG);
    let d = tempdir();
    let runner = HookRunner::spawn(d.path().join("absent"), LONG);
    runner.submit(ev("wan1", Init, Up, None, None));
    runner.submit(ev("wan1", Up, Down, None, None));
    let both = wait_until(DEADLINE, || {
        logs.lines_with(&["hooks: event", "wan=wan1"]).len() == 2
    })
    .await;
    assert!(both, "the events were not handled:\n{}", logs.text());
    assert_eq!(
        logs.lines_with(&["no hooks directory"]).len(),
        1,
        "{}",
        logs.text()
    );
    assert_eq!(runner.stats(), HookStats::default());

    let hooks = d.path().join("hooks.d");
    std::fs::create_dir(&hooks).unwrap();
    let ran = d.path().join("ran");
    hook(
        &hooks,
        "10-good",
        &format!("echo \"$MPWAN_STATE\" >> '{}'", ran.display()),
    );
    runner.reconfigure(hooks, LONG);
    runner.submit(ev("wan1", Down, Up, None, None));
    let stats = wait_stats(&runner, |s| s.ok == 1).await;
    assert_eq!(stats.failed, 0);
    assert_eq!(lines(&ran), ["up"]);
}

#[tokio::test]
async fn hook_output_goes_to_the_log_tagged_with_its_name() {
    let logs = LogBuf::default();
    let _guard = logs.install(tracing::Level::INFO);
    let d = tempdir();
    hook(
        d.path(),
        "10-talk",
        "echo 'hello on stdout'\necho 'oops on stderr' >&2\nprintf 'no newline at the end'\nexit 3",
    );
    let runner = HookRunner::spawn(d.path().to_path_buf(), LONG);
    runner.submit(ev("wan1", Up, Down, None, None));
    wait_stats(&runner, |s| s.failed == 1).await;
    let text = logs.text();
    for (needle, stream) in [
        ("hello on stdout", "stdout"),
        ("oops on stderr", "stderr"),
        ("no newline at the end", "stdout"),
    ] {
        let found = logs.lines_with(&[
            needle,
            "hook=10-talk",
            "wan=wan1",
            &format!("stream=\"{stream}\""),
        ]);
        assert_eq!(
            found.len(),
            1,
            "{needle:?} not logged once with its hook:\n{text}"
        );
    }
    let failed = logs.lines_with(&["WARN", "hook: failed", "hook=10-talk", "exit status: 3"]);
    assert_eq!(failed.len(), 1, "no warning for the exit status:\n{text}");
}

#[tokio::test]
async fn shutdown_lets_the_running_hook_finish_and_runs_no_more() {
    let d = tempdir();
    let hooks = d.path().join("hooks.d");
    std::fs::create_dir(&hooks).unwrap();
    let p = d.path().display();
    hook(
        &hooks,
        "10-slow",
        &format!(
            "touch '{p}/started'\nwhile [ ! -e '{p}/release' ]; do sleep 0.02; done\necho \"$MPWAN_RTT_MS\" >> '{p}/done'"
        ),
    );
    let runner = HookRunner::spawn(hooks, LONG);
    let submitter = runner.submitter();
    for i in 0..3u32 {
        runner.submit(ev("wan1", Up, Down, Some(f64::from(i)), None));
    }
    assert!(wait_until(DEADLINE, || d.path().join("started").exists()).await);
    let mut shutdown = std::pin::pin!(runner.shutdown());
    // One poll: the runner closes, then waits for the running hook.
    tokio::select! {
        biased;
        () = &mut shutdown => panic!("shutdown returned while a hook was running"),
        () = std::future::ready(()) => {}
    }
    submitter.submit(ev("wan1", Down, Up, Some(9.0), None));
    std::fs::write(d.path().join("release"), "").unwrap();
    tokio::time::timeout(DEADLINE, shutdown)
        .await
        .expect("shutdown waits only for the running hook");
    assert_eq!(lines(&d.path().join("done")), ["0.0"]);
}

#[tokio::test]
async fn long_lines_are_cut_into_pieces() {
    let input = b"short\n\nabcdefghij\r\nlast".as_slice();
    let mut reader = tokio::io::BufReader::new(input);
    let mut line = Vec::new();
    let mut got = Vec::new();
    while read_line_capped(&mut reader, &mut line, 4).await.unwrap() {
        got.push(String::from_utf8_lossy(&line).into_owned());
    }
    assert_eq!(got, ["shor", "t", "", "abcd", "efgh", "ij\r", "last"]);
}
