//! The workspace's ChangeLog from the CLI's side: changes made at the REPL or by `compile:source:` are
//! recorded on the node (`beamtalk_changes`), and a flush writes the durable ones back into their `.bt`
//! files — each method's text spliced into its class's source, every other byte of the file kept — then
//! marks them flushed. The node may be remote: only this process touches source files, and only inside
//! its project.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use eetf::Term;

use super::{EvalError, Session};
use crate::lang::ast::Item;
use crate::lang::parser;
use crate::term::{as_i64, as_text, atom, list_elements, map_get};
use crate::workspace::node_api;

/// One entry of the ChangeLog, as the node keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub id: i64,
    /// `compile` or `remove`.
    pub kind: String,
    pub class: String,
    /// A class-side method (`Counter class >> sel => ...`).
    pub class_side: bool,
    pub selector: String,
    /// The method as written (`increment => ...`), for a compile.
    pub source: Option<String>,
    pub durable: bool,
    /// The file the class was loaded from, when it was.
    pub file: Option<String>,
    /// That file's digest when it was last loaded before this change.
    pub digest: Option<String>,
    pub flushed: bool,
}

impl Change {
    fn from_term(t: &Term) -> Option<Change> {
        let text = |k: &str| map_get(t, k).and_then(as_text);
        let opt = |k: &str| text(k).filter(|s| s != "nil");
        Some(Change {
            id: map_get(t, "id").and_then(as_i64)?,
            kind: text("kind")?,
            class: text("class")?,
            class_side: text("side").as_deref() == Some("class"),
            selector: text("selector")?,
            source: opt("source"),
            durable: text("intent").as_deref() == Some("durable"),
            file: opt("file"),
            digest: opt("digest"),
            flushed: text("flushed").as_deref() == Some("true"),
        })
    }

    /// A move of the class's file: `moveClass:to:`, or the rename of the class itself (its file goes
    /// with the name when it is named after the class).
    fn moves_file(&self) -> bool {
        self.kind == "move_class" || self.renames_itself()
    }

    /// The rename of the class itself, not of the name in a class that mentions it.
    fn renames_itself(&self) -> bool {
        self.kind == "rename_class" && self.source.as_deref() == Some(self.class.as_str())
    }

    /// `compile Counter>>increment`, as listings show it.
    pub fn line(&self) -> String {
        let mut line = match self.kind.as_str() {
            "new_class" => format!("new class {}", self.class),
            "remove_class" => format!("removed class {}", self.class),
            "move_class" => format!(
                "move class {} to {}",
                self.class,
                self.source.as_deref().unwrap_or("?")
            ),
            "rename_class" => match self.source.as_deref() {
                Some(new) if new == self.class => {
                    format!("rename class {} to {new}", self.selector)
                }
                new => format!(
                    "rename {} to {} in {}",
                    self.selector,
                    new.unwrap_or("?"),
                    self.class
                ),
            },
            kind => format!(
                "{kind} {}{}>>{}",
                self.class,
                side(self.class_side),
                self.selector
            ),
        };
        if !self.durable {
            line.push_str(" (ephemeral)");
        }
        match (&self.file, self.flushed) {
            (_, true) => line.push_str(" (flushed)"),
            (Some(f), false) => line.push_str(&format!(" [{f}]")),
            (None, false) => line.push_str(" [no file]"),
        }
        line
    }
}

/// What a flush did, file by file.
#[derive(Debug, Default)]
pub struct FlushReport {
    /// Files written, each with how many changes went into it.
    pub written: Vec<(String, usize)>,
    /// Files left alone, each with why (changed on disk since loaded, outside the project...).
    pub skipped: Vec<(String, String)>,
    /// Durable changes of classes that came from no file: they stay in memory only.
    pub no_file: usize,
    /// Classes removed (`removeFromSystem`) whose removal waits for a flush that may delete: left
    /// pending (ADR 0113's second tier).
    pub destructive: Vec<String>,
    /// Files deleted because the classes removed were all they held.
    pub deleted: Vec<String>,
    /// Files of removed classes that were gone already: nothing left to do.
    pub gone: Vec<String>,
    /// Files moved (`Workspace moveClass:to:`): from, to.
    pub moved: Vec<(String, String)>,
}

/// Which changes a flush may write: every edit of a file, or (when asked for by name) also the removal
/// of classes, which deletes a file the removed classes were all of (ADR 0113).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tier {
    #[default]
    Edits,
    Destructive,
}

impl FlushReport {
    /// The report as lines of text.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.written.is_empty()
            && self.skipped.is_empty()
            && self.no_file == 0
            && self.destructive.is_empty()
            && self.deleted.is_empty()
            && self.gone.is_empty()
        {
            out.push("Nothing to flush.".to_owned());
        }
        for (from, to) in &self.moved {
            out.push(format!("Moved {from} to {to}"));
        }
        for (file, n) in &self.written {
            out.push(format!("Flushed {n} change(s) into {file}"));
        }
        for (file, why) in &self.skipped {
            out.push(format!("Not flushed: {file} {why}"));
        }
        for file in &self.deleted {
            out.push(format!("Deleted {file}: the classes it held were removed"));
        }
        for file in &self.gone {
            out.push(format!("{file} was gone already: nothing to delete"));
        }
        for class in &self.destructive {
            out.push(format!(
                "Kept: {class} was removed from the workspace; its text leaves its file only with \
                 `workspace flush --include-destructive` (`Workspace flushIncludingDestructive`)"
            ));
        }
        if self.no_file > 0 {
            out.push(format!(
                "{} change(s) to classes that came from no file stay in memory only",
                self.no_file
            ));
        }
        out
    }
}

impl Session {
    /// Tells the workspace that `path` (with text `src`) was loaded and defines `classes`.
    pub async fn register_source(
        &self,
        path: &str,
        src: &str,
        classes: impl Iterator<Item = &str>,
    ) -> Result<(), EvalError> {
        let bin = crate::term::binary;
        let classes = crate::term::list(classes.map(atom).collect());
        self.call(
            node_api::REGISTER_SOURCE,
            vec![bin(path), bin(&super::load::digest(src)), classes],
        )
        .await?;
        Ok(())
    }

    /// Appends a change to the workspace's ChangeLog; `previous` is the method's text before it (what
    /// `revert:` puts back; none when the method is new).
    pub async fn record_change(
        &self,
        kind: &str,
        (class, class_side, selector): (&str, bool, &str),
        (source, previous): (Option<&str>, Option<&str>),
        durable: bool,
    ) -> Result<(), EvalError> {
        let mut entry = vec![
            (atom("kind"), atom(kind)),
            (atom("class"), atom(class)),
            (
                atom("side"),
                atom(if class_side { "class" } else { "instance" }),
            ),
            (atom("selector"), atom(selector)),
            (
                atom("intent"),
                atom(if durable { "durable" } else { "ephemeral" }),
            ),
        ];
        for (key, text) in [("source", source), ("previous", previous)] {
            if let Some(s) = text {
                entry.push((atom(key), crate::term::binary(s)));
            }
        }
        let map = Term::from(eetf::Map::from(
            entry
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>(),
        ));
        self.call(node_api::RECORD_CHANGE, vec![map]).await?;
        Ok(())
    }

    /// The text of the instance method `selector` of `class` as the workspace has it now (from the
    /// class's kept source, or its kept extension methods), if it has one.
    pub async fn method_text(
        &self,
        class: &str,
        class_side: bool,
        selector: &str,
    ) -> Result<Option<String>, EvalError> {
        let src = match self.class_source(class).await? {
            Some(src) => src,
            None => as_text(
                &self
                    .call(node_api::EXTENSION_SOURCE, vec![atom(class)])
                    .await?,
            )
            .unwrap_or_default(),
        };
        let items = parser::parse(&src).unwrap_or_default();
        let method = items.iter().find_map(|i| match i {
            Item::Class(c) if c.name == class => match class_side {
                false => &c.methods,
                true => &c.class_methods,
            }
            .iter()
            .find(|m| m.selector == selector),
            Item::Method {
                class: c,
                class_side: s,
                method,
            } if c == class && *s == class_side && method.selector == selector => Some(method),
            _ => None,
        });
        Ok(method.map(|m| super::methods::member_text(&src, m)))
    }

    /// `Workspace newClass: source at: path`: the one class of `source` loaded, its file to be written
    /// by a flush. The path (relative to `project`) must end in `.bt`, lie inside the project in a
    /// directory that exists, not exist yet, and be named after the class (`Fresh` in `fresh.bt` or
    /// `Fresh.bt`); the class must not be loaded already. The class name, or why not.
    pub async fn new_class(
        &self,
        source: &str,
        path: &str,
        project: &Path,
    ) -> Result<String, String> {
        let items = parser::parse(source)
            .map_err(|e| format!("the source does not parse: {}", e.message))?;
        let [Item::Class(def)] = items.as_slice() else {
            return Err("the source must be exactly one class".to_owned());
        };
        let file = class_file_at(path, project, &def.name)?;
        let exists = self
            .call(node_api::CLASS_TAKEN, vec![atom(&def.name)])
            .await
            .map_err(|e| e.to_string())?;
        if exists == atom("true") {
            return Err(format!(
                "{} is loaded already; hint: change it with `compile:source:`",
                def.name
            ));
        }
        let shown = file.display().to_string();
        match self.load_class(def, source, &shown, &[]).await {
            Ok(super::Outcome::Value(_)) => {}
            Ok(super::Outcome::Error(text)) => return Err(text),
            Err(e) => return Err(e.to_string()),
        }
        let record = async {
            self.register_source(&shown, source, std::iter::once(def.name.as_str()))
                .await?;
            self.record_change(
                "new_class",
                (&def.name, false, "nil"),
                (Some(source), None),
                true,
            )
            .await
        };
        record.await.map_err(|e| e.to_string())?;
        Ok(def.name.clone())
    }

    /// `Workspace moveClass: Counter to: path` (ADR 0114): the class keeps its name and the next flush
    /// moves its file to `path` (relative to `project`), with any other change to it. The class must
    /// have come from a file of its own inside the project; the new path follows `newClass:at:`'s
    /// rules. The new path as shown, or why not.
    pub async fn move_class(
        &self,
        class: &str,
        path: &str,
        project: &Path,
    ) -> Result<String, String> {
        let to = class_file_at(path, project, class)?;
        let from = self
            .call(node_api::CLASS_FILE, vec![atom(class)])
            .await
            .map_err(|e| e.to_string())
            .map(|t| as_text(&t).filter(|f| f != "nil"))?
            .ok_or_else(|| {
                format!(
                    "{class} came from no file; hint: `Workspace newClass:at:` gives a class one"
                )
            })?;
        let project = std::fs::canonicalize(project).map_err(|e| format!("the project: {e}"))?;
        let (_, text) = project_file(&from, &project).map_err(|e| {
            format!("{from}: {e}; hint: a class made by newClass:at: is moved by flushing it first")
        })?;
        let others: Vec<String> = classes_of(&text)
            .into_iter()
            .filter(|c| c != class)
            .collect();
        if !others.is_empty() {
            return Err(format!(
                "{from} holds {} too; hint: a move takes a whole file, so move a class that has one of its own",
                others.join(", ")
            ));
        }
        let shown = to.display().to_string();
        self.record_change(
            "move_class",
            (class, false, "nil"),
            (Some(&shown), None),
            true,
        )
        .await
        .map_err(|e| e.to_string())?;
        Ok(shown)
    }

    /// Every entry of the ChangeLog, oldest first.
    pub async fn changes(&self) -> Result<Vec<Change>, EvalError> {
        let reply = self.call(node_api::CHANGES, vec![]).await?;
        Ok(decode_changes(&reply))
    }

    /// Writes the durable changes not yet flushed into their files inside `project` (every edit; a
    /// removed class stays in its file).
    pub async fn flush(&self, project: &Path) -> Result<FlushReport, EvalError> {
        self.flush_class(project, None, Tier::Edits).await
    }

    /// `flush`, of the changes to `class` only when it is given (`Workspace flush: Counter`), with the
    /// removal of classes from their files too when `tier` says so.
    pub async fn flush_class(
        &self,
        project: &Path,
        class: Option<&str>,
        tier: Tier,
    ) -> Result<FlushReport, EvalError> {
        let pending: Vec<Change> =
            decode_changes(&self.call(node_api::PENDING_CHANGES, vec![]).await?)
                .into_iter()
                .filter(|c| class.is_none_or(|class| c.class == class))
                .collect();
        let loaded: BTreeMap<String, String> =
            list_elements(&self.call(node_api::SOURCES, vec![]).await?)
                .unwrap_or_default()
                .iter()
                .filter_map(|t| match t {
                    Term::Tuple(t) if t.elements.len() == 2 => {
                        Some((as_text(&t.elements[0])?, as_text(&t.elements[1])?))
                    }
                    _ => None,
                })
                .collect();
        let mut by_file: BTreeMap<String, Vec<Change>> = BTreeMap::new();
        let mut report = FlushReport::default();
        let mut reported = Vec::new();
        for c in pending {
            match (c.kind.as_str(), c.file.clone(), tier) {
                // A class from no file leaves nothing behind on disk.
                ("remove_class", None, _) => reported.push(crate::term::etf::int_term(c.id.into())),
                // Taking a class out of its file waits for a flush that may delete.
                ("remove_class", Some(_), Tier::Edits) => report.destructive.push(c.class.clone()),
                (_, Some(f), _) => by_file.entry(f).or_default().push(c),
                (_, None, _) => report.no_file += 1,
            }
        }
        if !reported.is_empty() {
            self.call(node_api::FLUSHED_CHANGES, vec![crate::term::list(reported)])
                .await?;
        }
        let project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
        for (file, changes) in by_file {
            // What the file was when the latest of these changes was made (kept with the change, so
            // it holds across a restart of the workspace), else what the workspace last loaded.
            let expected = changes
                .iter()
                .rev()
                .find_map(|c| c.digest.as_ref())
                .or(loaded.get(&file));
            let outcome = flush_file(&file, &changes, &project, expected);
            let ids = crate::term::list(
                changes
                    .iter()
                    .map(|c| crate::term::etf::int_term(c.id.into()))
                    .collect(),
            );
            match outcome {
                Ok(Flushed::Deleted(path)) => {
                    self.call(node_api::FLUSHED_CHANGES, vec![ids]).await?;
                    report.deleted.push(path.display().to_string());
                }
                Ok(Flushed::Gone) => {
                    self.call(node_api::FLUSHED_CHANGES, vec![ids]).await?;
                    report.gone.push(file);
                }
                Ok(Flushed::Written(path, text)) => {
                    let shown = path.display().to_string();
                    let classes = classes_of(&text);
                    self.register_source(&shown, &text, classes.iter().map(String::as_str))
                        .await?;
                    if changes.iter().any(Change::moves_file) {
                        report.moved.push((file.clone(), shown.clone()));
                    }
                    self.call(node_api::FLUSHED_CHANGES, vec![ids]).await?;
                    report.written.push((shown, changes.len()));
                }
                Err(why) => report.skipped.push((file, why)),
            }
        }
        Ok(report)
    }
}

/// The real path and text of `file`, a path a node named: only a `.bt` file inside `project` (symlinks
/// resolved), a regular file of bounded size, is read, whatever a node says.
fn project_file(file: &str, project: &Path) -> Result<(PathBuf, String), String> {
    super::walk::confined_file(Path::new(file), project).map_err(|e| e.to_string())?;
    let path = std::fs::canonicalize(file).map_err(|e| format!("cannot be read: {e}"))?;
    let text = super::walk::read_text(&path, &super::walk::LIMITS).map_err(|e| e.to_string())?;
    Ok((path, text))
}

/// Where class `class` may get a file of its own: a path `new_class_file` takes, named after the class
/// (ADR 0082's one class per file: `Fresh` in `fresh.bt` or `Fresh.bt`).
fn class_file_at(path: &str, project: &Path, class: &str) -> Result<PathBuf, String> {
    let file = new_class_file(path, project)?;
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    match stem == class || stem == class.to_lowercase() {
        true => Ok(file),
        false => Err(format!(
            "{} must be named after its class: {class}.bt or {}.bt",
            file.display(),
            class.to_lowercase()
        )),
    }
}

/// Where `Workspace newClass:at:` may put a class's file: `path` (relative to `project`) inside the
/// project, in a directory that exists, a `.bt` file not there yet.
fn new_class_file(path: &str, project: &Path) -> Result<PathBuf, String> {
    let project = std::fs::canonicalize(project).map_err(|e| format!("the project: {e}"))?;
    let given = Path::new(path);
    let full = match given.is_absolute() {
        true => given.to_path_buf(),
        false => project.join(given),
    };
    if full.extension().is_none_or(|e| e != "bt") {
        return Err(format!("{path} is not a .bt file"));
    }
    let (Some(dir), Some(name)) = (full.parent(), full.file_name()) else {
        return Err(format!("{path} names no file"));
    };
    let dir = std::fs::canonicalize(dir).map_err(|e| format!("{path}: its directory: {e}"))?;
    if !dir.starts_with(&project) {
        return Err(format!(
            "{path} is outside the project {}",
            project.display()
        ));
    }
    let file = dir.join(name);
    if file.symlink_metadata().is_ok() {
        return Err(format!("{} exists already", file.display()));
    }
    Ok(file)
}

fn decode_changes(reply: &Term) -> Vec<Change> {
    list_elements(reply)
        .unwrap_or_default()
        .iter()
        .filter_map(Change::from_term)
        .collect()
}

fn classes_of(src: &str) -> Vec<String> {
    parser::parse(src)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| match i {
            Item::Class(c) => Some(c.name),
            _ => None,
        })
        .collect()
}

/// What a flush did to one file.
enum Flushed {
    /// Written (where, and its new text).
    Written(PathBuf, String),
    /// Deleted: the classes removed were all it held.
    Deleted(PathBuf),
    /// A file whose classes were all removed was gone already.
    Gone,
}

/// `file` with `changes` applied and written (through a temporary file and a rename), at the place the
/// last move among them names if there is one (then the old file goes), or deleted if classes were
/// removed and nothing is left in it; what was done, or why nothing was.
fn flush_file(
    file: &str,
    changes: &[Change],
    project: &Path,
    expected_digest: Option<&String>,
) -> Result<Flushed, String> {
    let removes_classes = changes.iter().any(|c| c.kind == "remove_class");
    let (path, mut out, changes) = match changes.split_first() {
        // A class made in the workspace: its file is written for the first time.
        Some((first, rest)) if first.kind == "new_class" => {
            let path = new_class_file(file, project)
                .map_err(|e| format!("cannot be created: {e}; nothing written"))?;
            let mut text = first.source.clone().unwrap_or_default();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            (path, text, rest)
        }
        _ if removes_classes && Path::new(file).symlink_metadata().is_err() => {
            return finish_delete(file, changes, project);
        }
        _ => {
            // A deletion takes the path itself away: never through a symbolic link.
            if removes_classes
                && Path::new(file)
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink())
            {
                return Err("is a symbolic link; nothing deleted".to_owned());
            }
            let (path, text) = project_file(file, project)?;
            if expected_digest.is_some_and(|d| *d != super::load::digest(&text)) {
                return Err(
                    "changed on disk since it was loaded; nothing written (load it again, \
                            or redo the change)"
                        .to_owned(),
                );
            }
            (path, text, changes)
        }
    };
    let mut to: Option<PathBuf> = None;
    for c in changes {
        match c.kind.as_str() {
            "move_class" => {
                let path = c.source.as_deref().unwrap_or_default();
                to = Some(
                    class_file_at(path, project, &c.class)
                        .map_err(|e| format!("cannot be moved: {e}; nothing written"))?,
                );
            }
            _ => {
                out = apply(&out, c).map_err(|e| format!("{}>>{}: {e}", c.class, c.selector))?;
                // A file of its own goes with the class's name; one of other classes too stays.
                if c.renames_itself()
                    && classes_of(&out).len() == 1
                    && let Some(renamed) = renamed_file(to.as_ref().unwrap_or(&path), c)
                {
                    to = Some(renamed);
                }
            }
        }
    }
    if removes_classes && parser::parse(&out).is_ok_and(|items| items.is_empty()) {
        let id = changes.iter().map(|c| c.id).max().unwrap_or_default();
        return delete_file(&path, id).map(|()| Flushed::Deleted(path));
    }
    let Some(to) = to.filter(|to| *to != path) else {
        super::walk::replace_text(&path, &out).map_err(|e| format!("cannot be written: {e}"))?;
        return Ok(Flushed::Written(path, out));
    };
    if to.symlink_metadata().is_ok() {
        return Err(format!(
            "cannot be moved to {}: it exists; nothing written",
            to.display()
        ));
    }
    super::walk::replace_text(&to, &out).map_err(|e| format!("cannot be written: {e}"))?;
    std::fs::remove_file(&path).map_err(|e| {
        format!(
            "was written to {} but cannot be removed: {e}; delete it yourself",
            to.display()
        )
    })?;
    Ok(Flushed::Written(to, out))
}

/// Where a file being deleted for change `id` is put first: beside it, so that the rename cannot cross
/// file systems, and named by the change, so that a later flush knows it as its own.
fn staged_delete(path: &Path, id: i64) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{name}.tmp-delete-{id}"))
}

/// Deletes `path` in two steps, a rename aside then the unlink: a crash in between leaves the text
/// under a name the next flush of the same change recognises and finishes (`finish_delete`).
fn delete_file(path: &Path, id: i64) -> Result<(), String> {
    let staged = staged_delete(path, id);
    std::fs::rename(path, &staged)
        .map_err(|e| format!("cannot be deleted: {e}; nothing deleted"))?;
    std::fs::remove_file(&staged).map_err(|e| {
        format!(
            "was moved to {} but cannot be deleted: {e}; delete it yourself",
            staged.display()
        )
    })
}

/// The file of removed classes is not there: a delete this change began (its staged text is there) is
/// finished; otherwise the file went some other way, which is what the removal wanted. Only a `.bt`
/// file's staged text in a directory of the project is ever deleted, whatever path a node names.
fn finish_delete(file: &str, changes: &[Change], project: &Path) -> Result<Flushed, String> {
    let path = Path::new(file);
    let inside = path.extension().is_some_and(|e| e == "bt")
        && path
            .parent()
            .and_then(|dir| std::fs::canonicalize(dir).ok())
            .is_some_and(|dir| dir.starts_with(project));
    if !inside {
        return Err(format!(
            "is not a .bt file of the project {}",
            project.display()
        ));
    }
    for c in changes {
        let staged = staged_delete(path, c.id);
        if staged.symlink_metadata().is_ok() {
            std::fs::remove_file(&staged)
                .map_err(|e| format!("cannot finish deleting {}: {e}", staged.display()))?;
            return Ok(Flushed::Deleted(path.to_path_buf()));
        }
    }
    Ok(Flushed::Gone)
}

/// Where the file of a renamed class goes: beside `path`, named after the new name as it was after the
/// old (`counter.bt` to `accumulator.bt`, `Counter.bt` to `Accumulator.bt`); nowhere if it was named
/// otherwise.
fn renamed_file(path: &Path, c: &Change) -> Option<PathBuf> {
    let (old, new) = (&c.selector, c.source.as_deref()?);
    let stem = path.file_stem()?.to_str()?;
    let name = match stem {
        s if s == old => new.to_owned(),
        s if s == old.to_lowercase() => new.to_lowercase(),
        _ => return None,
    };
    Some(path.with_file_name(format!("{name}.bt")))
}

/// `src` with one change made to the class it names.
fn apply(src: &str, c: &Change) -> Result<String, String> {
    let items =
        parser::parse(src).map_err(|e| format!("the file no longer parses: {}", e.message))?;
    if c.kind == "rename_class" {
        return rename_class(src, &items, c);
    }
    let class = items.iter().find_map(|i| match i {
        Item::Class(def) if def.name == c.class => Some(def),
        _ => None,
    });
    let class = match (c.kind.as_str(), class) {
        ("remove_class", Some(def)) => {
            return Ok(super::methods::without_lines(
                src,
                def.span.start,
                def.span.end,
            ));
        }
        // Taken out of the file some other way: what the removal wanted.
        ("remove_class", None) => return Ok(src.to_owned()),
        (_, Some(def)) => def,
        (_, None) => return Err(format!("the file defines no class {}", c.class)),
    };
    let existing = match c.class_side {
        false => &class.methods,
        true => &class.class_methods,
    }
    .iter()
    .find(|m| m.selector == c.selector);
    match (c.kind.as_str(), existing, &c.source) {
        ("remove", Some(_), _) => super::methods::without_method(src, c.class_side, &c.selector)
            .ok_or_else(|| "the method is not in the file".to_owned()),
        ("remove", None, _) => Ok(src.to_owned()),
        ("compile", _, Some(method)) => {
            let indent = class
                .methods
                .first()
                .or(class.class_methods.first())
                .map_or(2, |m| column(src, m.span.start));
            let member = indented(method, indent);
            let mut out = src.to_owned();
            match existing {
                Some(m) => out.replace_range(m.span.start..m.span.end, &member),
                None => {
                    let side = if c.class_side { "class " } else { "" };
                    let line = format!("\n{}{side}{member}", " ".repeat(indent));
                    out.insert_str(class.span.end, &line)
                }
            }
            Ok(out)
        }
        _ => Err("nothing to write".to_owned()),
    }
}

/// A rename written into the class it rewrote: the old name (`selector`) made the new (`source`) in that
/// class's text — the renamed class itself still has its old name in the file.
fn rename_class(src: &str, items: &[Item], c: &Change) -> Result<String, String> {
    let new = c.source.as_deref().unwrap_or_default();
    let named = if c.renames_itself() {
        c.selector.as_str()
    } else {
        c.class.as_str()
    };
    let def = items.iter().find_map(|i| match i {
        Item::Class(def) if def.name == named || (c.renames_itself() && def.name == new) => {
            Some(def)
        }
        _ => None,
    });
    let Some(def) = def else {
        return Err(format!("the file defines no class {named}"));
    };
    Ok(super::rename_class::rename_in(
        src,
        Some(def.span),
        &c.selector,
        new,
    ))
}

fn side(class_side: bool) -> &'static str {
    match class_side {
        true => " class",
        false => "",
    }
}

/// The column (0-based) of byte `at`.
fn column(src: &str, at: usize) -> usize {
    at - src[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// A method as recorded (continuation lines indented four spaces) for a class whose members start at
/// column `indent`: continuation lines two deeper than the header.
fn indented(method: &str, indent: usize) -> String {
    let mut lines = method.lines();
    let mut out = lines.next().unwrap_or_default().to_owned();
    for line in lines {
        out.push('\n');
        out.push_str(&" ".repeat(indent + 2));
        out.push_str(line.strip_prefix("    ").unwrap_or(line.trim_start()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: &str, selector: &str, source: Option<&str>) -> Change {
        Change {
            id: 1,
            kind: kind.into(),
            class: "Counter".into(),
            class_side: false,
            selector: selector.into(),
            source: source.map(str::to_owned),
            durable: true,
            file: None,
            digest: None,
            flushed: false,
        }
    }

    const SRC: &str = "// A counter.\nActor subclass: Counter\n  state: n = 0\n  /// Adds one.\n  increment => self.n := self.n + 1 // fast\n  n => self.n\n\n// the end\n";

    #[test]
    fn a_compiled_method_replaces_its_span_and_nothing_else() {
        let out = apply(
            SRC,
            &change(
                "compile",
                "increment",
                Some("increment =>\n    self.n := self.n + 10\n    self.n"),
            ),
        )
        .expect("applies");
        assert_eq!(
            out,
            "// A counter.\nActor subclass: Counter\n  state: n = 0\n  /// Adds one.\n  increment =>\n    self.n := self.n + 10\n    self.n // fast\n  n => self.n\n\n// the end\n"
        );
        assert!(parser::parse(&out).is_ok());
    }

    #[test]
    fn a_new_method_goes_at_the_end_of_its_class_and_a_removed_one_leaves() {
        let out = apply(
            SRC,
            &change("compile", "reset", Some("reset => self.n := 0")),
        )
        .expect("adds");
        assert!(
            out.contains("  n => self.n\n  reset => self.n := 0\n\n// the end"),
            "{out}"
        );
        let out = apply(&out, &change("remove", "increment", None)).expect("removes");
        assert!(
            !out.contains("increment") && !out.contains("Adds one"),
            "{out}"
        );
        assert!(
            out.starts_with(
                "// A counter.\nActor subclass: Counter\n  state: n = 0\n  n => self.n"
            ),
            "{out}"
        );
    }

    #[test]
    fn a_class_side_method_is_written_on_the_class_side() {
        let mut c = change("compile", "make", Some("make => self new"));
        c.class_side = true;
        let out = apply(SRC, &c).expect("adds");
        assert!(
            out.contains("  n => self.n\n  class make => self new\n"),
            "{out}"
        );
        c.source = Some("make => self spawn".into());
        let again = apply(&out, &c).expect("replaces");
        assert!(again.contains("  class make => self spawn\n"), "{again}");
        assert!(!again.contains("self new"), "{again}");
        c.kind = "remove".into();
        assert_eq!(apply(&again, &c).expect("removes"), SRC);
        // An instance method of the same name is another method.
        let mut i = change("compile", "make", Some("make => 1"));
        i.class_side = false;
        assert!(apply(&again, &i).expect("adds").contains("  make => 1\n"));
    }

    /// A node names the file of a removed class: the staged text of a delete is finished only inside
    /// the project, whatever path it names.
    #[test]
    fn a_renamed_class_takes_its_file_along_only_when_the_file_is_its_own() {
        let project = tempfile::tempdir().expect("dir");
        let dir = std::fs::canonicalize(project.path()).expect("canonical");
        let mut c = change("rename_class", "Counter", Some("Tally"));
        c.class = "Tally".into();
        let flush = |name: &str, text: &str| {
            std::fs::write(dir.join(name), text).expect("write");
            let file = dir.join(name);
            match flush_file(file.to_str().expect("utf8"), &[c.clone()], &dir, None) {
                Ok(Flushed::Written(path, out)) => (path, out),
                _ => panic!("{name} was not written"),
            }
        };
        let (path, out) = flush(
            "counter.bt",
            "Object subclass: Counter\n  make => Counter new\n",
        );
        assert_eq!(path, dir.join("tally.bt"));
        assert_eq!(out, "Object subclass: Tally\n  make => Tally new\n");
        assert!(!dir.join("counter.bt").exists());
        let (path, out) = flush(
            "Counter.bt",
            "Object subclass: Counter\n  a => 1\n\nObject subclass: Other\n  b => Counter\n",
        );
        assert_eq!(
            path,
            dir.join("Counter.bt"),
            "a file of other classes too stays"
        );
        assert_eq!(
            out, "Object subclass: Tally\n  a => 1\n\nObject subclass: Other\n  b => Counter\n",
            "only the renamed class's text changes here (Other has an entry of its own)"
        );
    }

    #[test]
    fn only_a_project_file_staged_for_deletion_is_deleted() {
        let project = tempfile::tempdir().expect("dir");
        let elsewhere = tempfile::tempdir().expect("dir");
        let project_dir = std::fs::canonicalize(project.path()).expect("canonical");
        let mut c = change("remove_class", "", None);
        c.id = 5;
        for dir in [
            &project_dir,
            &std::fs::canonicalize(elsewhere.path()).expect("canonical"),
        ] {
            std::fs::write(dir.join("x.bt.tmp-delete-5"), "Object subclass: X\n").expect("write");
        }
        let outside = elsewhere.path().join("x.bt");
        let refused = finish_delete(outside.to_str().expect("utf8"), &[c.clone()], &project_dir);
        assert!(refused.is_err());
        assert!(elsewhere.path().join("x.bt.tmp-delete-5").exists());
        let inside = project_dir.join("x.bt");
        assert!(matches!(
            finish_delete(inside.to_str().expect("utf8"), &[c], &project_dir),
            Ok(Flushed::Deleted(_))
        ));
        assert!(!project_dir.join("x.bt.tmp-delete-5").exists());
    }

    #[test]
    fn a_change_to_a_class_the_file_does_not_define_is_refused() {
        let mut c = change("compile", "x", Some("x => 1"));
        c.class = "Other".into();
        assert!(
            apply(SRC, &c)
                .expect_err("refused")
                .contains("no class Other")
        );
    }
}
