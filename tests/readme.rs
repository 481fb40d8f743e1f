//! Every ```console example of README.md, run as written: each block in a fresh project directory (as
//! `~/code/app`), beamtalk home and private EPMD, with `beamtalk` on PATH and an Erlang node `mynode` for
//! the blocks that call it. A `$ cat FILE` line followed by text writes that text to FILE (the example
//! shows the file, the test makes it); other `$` lines run in `sh`. Output shown under a command must be
//! what it prints on stdout, up to what differs from run to run (pids, workspace ids, the host, sizes,
//! durations, ports, the temporary home) and column alignment; a command shown without output must
//! succeed. A `$ beamtalk repl` followed by `> ` lines feeds those lines to the REPL (piped: the banner,
//! which only a terminal gets, is not compared; tests/repl.rs drives the terminal).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{Epmd, Node, NodeSpec, WorkspaceHome};

/// One `$` line of a block with what the README shows under it.
#[derive(Debug)]
struct Step {
    command: String,
    shown: Vec<String>,
}

/// The console blocks of README.md: their first line number and steps.
fn console_blocks() -> Vec<(usize, Vec<Step>)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut blocks = Vec::new();
    let mut current: Option<(usize, Vec<Step>)> = None;
    for (i, line) in readme.lines().enumerate() {
        match (&mut current, line.trim_end()) {
            (None, "```console") => current = Some((i + 2, Vec::new())),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some((_, steps)), l) => match l.strip_prefix("$ ") {
                Some(command) => steps.push(Step {
                    command: command.to_owned(),
                    shown: Vec::new(),
                }),
                None => {
                    if let Some(step) = steps.last_mut() {
                        step.shown.push(l.to_owned());
                    }
                }
            },
            (None, _) => {}
        }
    }
    blocks
}

/// Where one block runs: its own EPMD, beamtalk home, `HOME` (with `~/code/app`, the project) and a
/// directory putting `beamtalk` on PATH; the `mynode` node when the block calls it.
struct Scene {
    epmd: Epmd,
    ws: WorkspaceHome,
    home: tempfile::TempDir,
    bin: tempfile::TempDir,
    cwd: PathBuf,
    mynode: Option<Node>,
}

impl Scene {
    fn new(steps: &[Step]) -> Self {
        let home = tempfile::tempdir().expect("home");
        let project = home.path().join("code/app");
        std::fs::create_dir_all(&project).expect("project");
        let bin = tempfile::tempdir().expect("bin");
        std::os::unix::fs::symlink(common::binary(), bin.path().join("beamtalk")).expect("symlink");
        let mut scene = Scene {
            epmd: Epmd::start(),
            ws: WorkspaceHome::new(),
            home,
            bin,
            cwd: project,
            mynode: None,
        };
        if steps.iter().any(|s| s.command.contains("mynode")) {
            scene.start_mynode();
        }
        scene
    }

    /// An ordinary Erlang node named `mynode` (on this test's own EPMD, so the name is free).
    fn start_mynode(&mut self) {
        let mut spec = NodeSpec::new(&self.epmd, &self.ws.home);
        spec.name = Some("mynode".to_owned());
        self.mynode = Some(Node::start_with(spec));
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        let path = format!(
            "{}:{}",
            self.bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        cmd.current_dir(&self.cwd)
            .env("PATH", path)
            .env("HOME", self.home.path())
            .env("BEAMTALK_HOME", self.ws.home.path())
            .env("BEAMTALK_COOKIE_FILE", self.ws.home.cookie_file())
            .env("ERL_EPMD_PORT", self.epmd.port.to_string())
            .env("NO_COLOR", "1")
            .env_remove("BEAMTALK_COOKIE");
        cmd
    }

    /// Runs one step; a mismatch or failure as text.
    fn run(&mut self, step: &Step) -> Result<(), String> {
        let command = step.command.as_str();
        if let Some(dir) = command.strip_prefix("cd ") {
            let dir = dir.replace('~', &self.home.path().display().to_string());
            self.cwd = PathBuf::from(dir);
            return Ok(());
        }
        if let Some(file) = command
            .strip_prefix("cat ")
            .filter(|_| !step.shown.is_empty())
        {
            let path = self
                .cwd
                .join(file.split_whitespace().next().unwrap_or(file));
            std::fs::create_dir_all(path.parent().expect("parent")).map_err(|e| e.to_string())?;
            return std::fs::write(&path, step.shown.join("\n") + "\n").map_err(|e| e.to_string());
        }
        let (input, shown) = repl_input(step);
        let mut cmd = self.command("sh");
        cmd.args(["-c", command]).stdin(Stdio::piped());
        let out = common::run_with_input(&mut cmd, input.as_bytes());
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let fails = shown
            .iter()
            .any(|l| l.starts_with("ERROR") || l.starts_with("FAIL"));
        if !out.status.success() && !fails {
            return Err(format!(
                "`{command}` failed ({}): {stdout}{stderr}",
                out.status
            ));
        }
        if shown.is_empty() {
            return Ok(());
        }
        let want: Vec<String> = shown.iter().map(|l| self.normalize(l)).collect();
        let got: Vec<String> = stdout.lines().map(|l| self.normalize(l)).collect();
        match want == got {
            true => Ok(()),
            false => Err(format!(
                "`{command}`:\n  README shows:\n    {}\n  it printed:\n    {}\n  (stderr: {stderr})",
                want.join("\n    "),
                got.join("\n    ")
            )),
        }
    }

    /// A line with what differs between runs replaced by placeholders, and runs of blanks made one.
    fn normalize(&self, line: &str) -> String {
        let home = self.home.path().display().to_string();
        let host = beamtalk::dist::node_name::short_hostname();
        let state = self.ws.home.path().display().to_string();
        let line = line
            .replace(&state, "/home/u/.local/state/beamtalk")
            .replace(&home, "/home/u")
            .replace(&format!("@{host}"), "@myhost")
            .replace(&format!(" {host},"), " myhost,");
        let mut out = String::new();
        let words: Vec<String> = line.split_whitespace().map(placeholder).collect();
        out.push_str(&words.join(" "));
        out
    }
}

/// The REPL lines of a `beamtalk repl` step (`> ` lines, up to `> ^D`) and the rest of what it shows,
/// the banner left out.
fn repl_input(step: &Step) -> (String, Vec<String>) {
    if !step.command.starts_with("beamtalk repl") {
        return (String::new(), step.shown.clone());
    }
    let mut input = String::new();
    let mut shown = Vec::new();
    for line in &step.shown {
        match line.strip_prefix("> ") {
            Some("^D") => break,
            Some(l) => {
                input.push_str(l);
                input.push('\n');
            }
            None if line.starts_with("beamtalk ") && line.contains(" — workspace ") => {}
            None => shown.push(line.clone()),
        }
    }
    (input, shown)
}

/// One word with its run-to-run part made a placeholder: pids, workspace ids, sizes, durations, ports.
fn placeholder(word: &str) -> String {
    let mut w = word.to_owned();
    w = replace_all(&w, is_pid_at, "<PID>");
    w = replace_all(&w, is_id_at, "<ID>");
    let bare = w.trim_end_matches(['.', ',', ')']);
    if bare.chars().all(|c| c.is_ascii_digit() || c == '.') && bare.len() >= 4 {
        return w.replacen(bare, "<N>", 1);
    }
    if let Some(n) = w
        .strip_suffix('s')
        .or_else(|| w.strip_suffix('m'))
        .or_else(|| w.strip_suffix('h'))
        && !n.is_empty()
        && n.chars().all(|c| c.is_ascii_digit())
    {
        return "<T>".to_owned();
    }
    if w.chars().all(|c| c.is_ascii_digit() || c == '.') && w.contains('.') {
        return "<N>".to_owned();
    }
    w
}

/// `<0.131.0>` at `i`: its length.
fn is_pid_at(s: &str, i: usize) -> Option<usize> {
    let rest = &s[i..];
    if !rest.starts_with("<0.") {
        return None;
    }
    let end = rest.find('>')?;
    rest[1..end]
        .split('.')
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        .then_some(end + 1)
}

/// A workspace id (12 hex digits, not inside a longer word) at `i`: its length.
fn is_id_at(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    let hex = |k: usize| k < b.len() && (b[k].is_ascii_digit() || (b'a'..=b'f').contains(&b[k]));
    let boundary = |k: usize| k >= b.len() || !b[k].is_ascii_alphanumeric();
    let starts = i == 0 || !b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_';
    (starts
        && (i..i + 12).all(hex)
        && boundary(i + 12)
        && s[i..i + 12].chars().any(|c| c.is_ascii_digit()))
    .then_some(12)
}

fn replace_all(s: &str, at: fn(&str, usize) -> Option<usize>, with: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        if !s.is_char_boundary(i) {
            i += 1;
            continue;
        }
        match at(s, i) {
            Some(len) => {
                out.push_str(with);
                i += len;
            }
            None => {
                let c = s[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

#[test]
fn every_console_example_in_the_readme_runs_as_written() {
    let blocks = console_blocks();
    assert!(blocks.len() >= 8, "README's console blocks were found");
    let mut failures = Vec::new();
    for (line, steps) in &blocks {
        let mut scene = Scene::new(steps);
        for step in steps {
            if let Err(e) = scene.run(step) {
                failures.push(format!("README.md:{line}: {e}"));
                break;
            }
        }
        let _ = Command::new(common::binary())
            .args(["workspace", "stop", "--all"])
            .env("BEAMTALK_HOME", scene.ws.home.path())
            .env("BEAMTALK_COOKIE_FILE", scene.ws.home.cookie_file())
            .env("ERL_EPMD_PORT", scene.epmd.port.to_string())
            .output();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn placeholders_hide_what_differs_between_runs() {
    assert_eq!(placeholder("<0.131.0>"), "<PID>");
    assert_eq!(
        placeholder("(beamtalk_workspace_29ccbcbce944@myhost)."),
        "(beamtalk_workspace_<ID>@myhost)."
    );
    assert_eq!(placeholder("42s"), "<T>");
    assert_eq!(placeholder("14.6"), "<N>");
    assert_eq!(placeholder("41233"), "<N>");
    assert_eq!(placeholder("Counter"), "Counter");
    assert_eq!(placeholder("42"), "42");
}

/// README and docs/ serve users of this repository alone: every relative link resolves inside it, and
/// nothing points outside it.
#[test]
fn readme_and_docs_link_only_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        files.push(entry.expect("entry").path());
    }
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        let dir = file.parent().expect("dir");
        if text.contains("../shared") {
            problems.push(format!("{}: points at ../shared", file.display()));
        }
        for (i, _) in text.match_indices("](") {
            let target = text[i + 2..].split(')').next().unwrap_or("");
            let path = target.split('#').next().unwrap_or("");
            if path.is_empty() || path.contains("://") {
                continue;
            }
            let resolved = dir.join(path);
            if !resolved.exists() || !resolved.canonicalize().is_ok_and(|p| p.starts_with(root)) {
                problems.push(format!(
                    "{}: link to {target} does not resolve inside the repository",
                    file.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
