//! `beamtalk fmt`: rewrites `.bt` files in the standard layout, or with `--check` lists those that are not.

use std::io::Read;
use std::path::{Path, PathBuf};

use beamtalk_lang::format::{FormatError, format};
use serde_json::json;

use super::{Failure, Global};
use crate::repl::walk;

#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Files and directories to format (`-` reads standard input and writes standard output)
    /// [default: the project's directory].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Change nothing: list the files that are not in the standard layout and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,
}

/// What became of one file.
enum Outcome {
    Unchanged,
    Changed,
    Failed(String),
}

pub fn run(global: &Global, args: FmtArgs) -> Result<(), Failure> {
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        return match args.paths.len() {
            1 => stdin(args.check),
            _ => Err(Failure::Usage {
                message: "`-` (standard input) cannot be given with other paths".into(),
                detail: None,
            }),
        };
    }
    let files = sources(&args.paths)?;
    let mut changed = Vec::new();
    let mut errors = Vec::new();
    for path in &files {
        match file(path, args.check) {
            Outcome::Unchanged => {}
            Outcome::Changed => changed.push(path.display().to_string()),
            Outcome::Failed(report) => errors.push((path.display().to_string(), report)),
        }
    }
    report(global, args.check, files.len(), &changed, &errors);
    match (errors.is_empty(), args.check && !changed.is_empty()) {
        (true, false) => Ok(()),
        _ => Err(Failure::Reported { code: 1 }),
    }
}

/// The `.bt` files named, directories walked; none named means the project's.
fn sources(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let cwd = std::env::current_dir().map_err(|e| Failure::Other {
        message: format!("cannot read the current directory: {e}"),
    })?;
    let roots = match paths.is_empty() {
        true => vec![crate::project::discover(&cwd)?],
        false => paths.to_vec(),
    };
    let mut files = Vec::new();
    for root in roots {
        match root.is_dir() {
            true => files.extend(walk::bt_files(&root, &walk::LIMITS, None).map_err(|e| {
                Failure::Usage {
                    message: e.to_string(),
                    detail: None,
                }
            })?),
            false if root.exists() => files.push(root),
            false => {
                return Err(Failure::Usage {
                    message: format!("{}: no such file or directory", root.display()),
                    detail: Some("hint: name .bt files or directories that hold them".into()),
                });
            }
        }
    }
    Ok(files)
}

fn file(path: &Path, check: bool) -> Outcome {
    let text = match walk::read_text(path, &walk::LIMITS) {
        Ok(t) => t,
        Err(e) => return Outcome::Failed(format!("error: {e}")),
    };
    let formatted = match format(&text) {
        Ok(f) => f,
        Err(e) => return Outcome::Failed(explain(&e, &text, path)),
    };
    if formatted == text {
        return Outcome::Unchanged;
    }
    if !check && let Err(e) = walk::replace_text(path, &formatted) {
        return Outcome::Failed(format!("error: cannot write {}: {e}", path.display()));
    }
    Outcome::Changed
}

fn explain(e: &FormatError, text: &str, path: &Path) -> String {
    match e {
        FormatError::Syntax(d) => d.render(text, &path.display().to_string()),
        FormatError::Unsafe => format!(
            "error: {}: left as it is: no layout kept its meaning (please report this file)",
            path.display()
        ),
    }
}

fn report(
    global: &Global,
    check: bool,
    total: usize,
    changed: &[String],
    errors: &[(String, String)],
) {
    if global.json {
        let errors: Vec<_> = errors
            .iter()
            .map(|(path, message)| json!({ "path": path, "error": message }))
            .collect();
        let key = if check { "unformatted" } else { "formatted" };
        println!(
            "{}",
            json!({ "files": total, key: changed, "errors": errors })
        );
        return;
    }
    // Each report starts `error: ` (a diagnostic renders so too): that word in colour on a terminal.
    for (_, message) in errors {
        let message = message.trim_end();
        let rest = message.strip_prefix("error: ").unwrap_or(message);
        eprintln!("{}", super::color::error_line(rest));
    }
    match check {
        true => {
            for path in changed {
                println!("{path}");
            }
            if !changed.is_empty() {
                eprintln!(
                    "{} of {total} files are not formatted (run `beamtalk fmt` to format them)",
                    changed.len()
                );
            }
        }
        false if !changed.is_empty() => eprintln!("formatted {} of {total} files", changed.len()),
        false => {}
    }
}

/// Formats standard input onto standard output (what editors run); with `check`, exits 1 if it differs.
fn stdin(check: bool) -> Result<(), Failure> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(walk::LIMITS.file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Other {
            message: format!("reading standard input: {e}"),
        })?;
    if bytes.len() as u64 > walk::LIMITS.file_bytes {
        return Err(Failure::Usage {
            message: format!("standard input is over {} bytes", walk::LIMITS.file_bytes),
            detail: None,
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| Failure::Usage {
        message: format!(
            "standard input is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ),
        detail: None,
    })?;
    let formatted = format(&text).map_err(|e| {
        let report = explain(&e, &text, Path::new("<stdin>"));
        Failure::from_report(report.lines().next().unwrap_or("").to_owned(), &report)
    })?;
    match check {
        true if formatted != text => Err(Failure::Reported { code: 1 }),
        true => Ok(()),
        false => super::write_stdout(formatted.as_bytes()),
    }
}
