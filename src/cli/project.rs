//! `beamtalk new NAME` and `beamtalk init`: make a project (a `beamtalk.toml` with `src/` and `test/`).

use std::path::PathBuf;

use serde_json::json;

use super::{Failure, Global};
use crate::project::{self, Created, ProjectError};

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The package name (lower-case letters, digits, `_`); also the directory made for it.
    pub name: String,
    /// Make the project in this directory instead of `./NAME`.
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The package name [default: made from the directory's name].
    #[arg(long)]
    pub name: Option<String>,
}

pub fn new(global: &Global, args: NewArgs) -> Result<(), Failure> {
    let dir = args.path.unwrap_or_else(|| PathBuf::from(&args.name));
    let created = project::create(&dir, &args.name)?;
    report(global, &args.name, &created);
    Ok(())
}

pub fn init(global: &Global, args: InitArgs) -> Result<(), Failure> {
    let dir = super::current_dir()?;
    let name = args.name.unwrap_or_else(|| project::name_from_dir(&dir));
    let created = project::create(&dir, &name)?;
    report(global, &name, &created);
    Ok(())
}

fn report(global: &Global, name: &str, created: &Created) {
    if global.json {
        let files: Vec<String> = created
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        println!(
            "{}",
            json!({ "package": name, "dir": created.dir.display().to_string(), "files": files })
        );
        return;
    }
    println!("Created package `{name}` in {}:", created.dir.display());
    for f in &created.files {
        println!("  {}", f.display());
    }
    println!(
        "Commands run anywhere inside it use its workspace: try `beamtalk test` or `beamtalk repl`."
    );
}

impl From<ProjectError> for Failure {
    fn from(e: ProjectError) -> Self {
        match e {
            ProjectError::InvalidName(_) | ProjectError::Reserved(_) | ProjectError::Exists(_) => {
                Failure::Usage {
                    message: e.to_string(),
                    detail: None,
                }
            }
            ProjectError::BadManifest { .. } | ProjectError::Io { .. } => Failure::Other {
                message: e.to_string(),
            },
        }
    }
}
