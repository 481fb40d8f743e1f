//! The sources the editor server knows: open documents (as typed), the project's `.bt` files (as on
//! disk, unless open), the standard library's (read-only copies), and the catalog they make with the
//! built-in classes and the live workspace's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lsp_types::Url;

use super::text::Lines;
use crate::lang::diagnostic::Diagnostic;
use crate::lang::ide::outline::{CheckCache, Outline, check, outline};
use crate::lang::ide::{Catalog, ClassInfo, Origin, find};
use crate::lang::lexer::Token;
use crate::repl::walk;

/// Larger documents are kept but not analysed (a 10 MB paste must not stall every request).
pub const MAX_ANALYSED: usize = 4 * 1024 * 1024;

/// The most source text read from the project's files (an editor opened on a huge tree reads this much
/// and no more; the files past it are left out of what the server knows).
const MAX_PROJECT_BYTES: usize = 64 * 1024 * 1024;

pub struct Source {
    pub text: String,
    pub lines: Lines,
    pub tokens: Vec<Token>,
    pub outline: Outline,
    /// The outline is from an earlier text (it is rebuilt when the editor is idle or asks for it).
    pub stale: bool,
    checked: CheckCache,
}

impl Source {
    pub fn new(text: String) -> Self {
        let mut s = Self {
            lines: Lines::new(&text),
            tokens: Vec::new(),
            outline: Outline::default(),
            stale: true,
            checked: CheckCache::default(),
            text,
        };
        s.analyse();
        s
    }

    /// Takes the new text; tokens now, the outline later.
    pub fn edit(&mut self, text: String) {
        self.lines = Lines::new(&text);
        self.tokens = match text.len() <= MAX_ANALYSED {
            true => find::tokens(&text),
            false => Vec::new(),
        };
        self.text = text;
        self.stale = true;
    }

    pub fn too_large(&self) -> bool {
        self.text.len() > MAX_ANALYSED
    }

    /// Every diagnostic of the outline: parse errors, compile errors, warnings.
    pub fn check(&mut self) -> Vec<Diagnostic> {
        self.analyse();
        check(&self.outline, &mut self.checked)
    }

    pub fn analyse(&mut self) {
        if !self.stale {
            return;
        }
        self.stale = false;
        if self.too_large() {
            self.tokens.clear();
            self.outline = Outline::default();
            return;
        }
        self.tokens = find::tokens(&self.text);
        self.outline = outline(&self.text);
    }
}

#[derive(Default)]
pub struct Index {
    pub open: BTreeMap<Url, Source>,
    /// The project's files on disk, by URL.
    pub files: BTreeMap<Url, Source>,
    /// The standard library's sources (read-only copies), by URL.
    pub stdlib: BTreeMap<Url, Source>,
    pub builtin: Catalog,
    /// The catalog, and the generation of the live workspace's it was built with.
    merged: Option<(Catalog, u64)>,
}

impl Index {
    /// Reads the project's `.bt` files under `root` (within the walk's limits; what cannot be read is
    /// left out) and the standard library's copies under `stdlib_dir`.
    pub fn load(root: &Path, stdlib_dir: Option<&Path>, builtin: Catalog) -> Self {
        let mut index = Index {
            builtin,
            ..Index::default()
        };
        let mut read = 0;
        for path in walk::bt_files(root, &walk::LIMITS, Some(root)).unwrap_or_default() {
            if read > MAX_PROJECT_BYTES {
                break;
            }
            index.read_file(&path);
            read += std::fs::metadata(&path).map_or(0, |m| m.len() as usize);
        }
        if let Some(dir) = stdlib_dir {
            for path in walk::bt_files(dir, &walk::LIMITS, None).unwrap_or_default() {
                if let (Ok(url), Ok(text)) = (
                    Url::from_file_path(&path),
                    walk::read_text(&path, &walk::LIMITS),
                ) {
                    index.stdlib.insert(url, Source::new(text));
                }
            }
        }
        index
    }

    /// (Re)reads one project file from disk.
    pub fn read_file(&mut self, path: &Path) {
        let Ok(url) = Url::from_file_path(path) else {
            return;
        };
        match walk::read_text(path, &walk::LIMITS) {
            Ok(text) => {
                self.files.insert(url, Source::new(text));
            }
            Err(_) => {
                self.files.remove(&url);
            }
        }
        self.merged = None;
    }

    pub fn changed(&mut self) {
        self.merged = None;
    }

    /// Every source, an open document in place of its file on disk.
    pub fn sources(&self) -> impl Iterator<Item = (&Url, &Source)> {
        self.open.iter().chain(
            self.files
                .iter()
                .chain(self.stdlib.iter())
                .filter(|(u, _)| !self.open.contains_key(u)),
        )
    }

    /// Builds the catalog again if the sources or the live workspace's classes (`generation`) changed
    /// since it was built; [`Index::catalog`] reads it.
    pub fn refresh_catalog(&mut self, live: &Catalog, generation: u64) {
        if self.merged.as_ref().is_some_and(|(_, g)| *g == generation) {
            return;
        }
        let mut c = self.builtin.clone();
        c.merge(live);
        let project = self.open.iter().chain(
            self.files
                .iter()
                .filter(|(u, _)| !self.open.contains_key(u)),
        );
        for (u, s) in project {
            if let Ok(path) = u.to_file_path() {
                add_classes(&mut c, &s.outline, &path);
            }
        }
        self.merged = Some((c, generation));
    }

    /// The catalog: built-in classes, then the live workspace's, then the project's sources (each
    /// later one wins), as last built by [`Index::refresh_catalog`].
    pub fn catalog(&self) -> &Catalog {
        static EMPTY: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
        match &self.merged {
            Some((c, _)) => c,
            None => EMPTY.get_or_init(Catalog::default),
        }
    }
}

/// The classes of one source, and its extension methods added to the classes they extend.
fn add_classes(catalog: &mut Catalog, outline: &Outline, path: &Path) {
    for class in &outline.classes {
        let side = |class_side: bool| {
            class
                .methods
                .iter()
                .filter(|m| m.class_side == class_side)
                .map(|m| m.selector.clone())
                .collect()
        };
        catalog.insert(ClassInfo {
            name: class.name.clone(),
            superclass: Some(class.superclass.clone()),
            selectors: side(false),
            class_selectors: side(true),
            help: class.doc.clone(),
            origin: Origin::File(path.display().to_string()),
        });
    }
    for m in &outline.extensions {
        if let Some(mut c) = catalog.get(&m.class).cloned() {
            let list = match m.class_side {
                true => &mut c.class_selectors,
                false => &mut c.selectors,
            };
            if !list.contains(&m.selector) {
                list.push(m.selector.clone());
            }
            catalog.insert(c);
        }
    }
}

/// Read-only copies of the standard library's sources under `home` (written once per runtime
/// version), for "go to definition" into a built-in class.
pub fn stdlib_copies(home: &Path) -> Option<PathBuf> {
    let dir = home
        .join("stdlib-src")
        .join(crate::workspace::runtime::version());
    if !dir.is_dir() {
        let tmp = home.join(format!("stdlib-src/.tmp-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).ok()?;
        for (name, text) in crate::workspace::runtime::stdlib_sources() {
            let path = tmp.join(name);
            std::fs::write(&path, text).ok()?;
            let mut perms = std::fs::metadata(&path).ok()?.permissions();
            perms.set_readonly(true);
            std::fs::set_permissions(&path, perms).ok()?;
        }
        // Another server may have written it meanwhile: theirs is as good.
        if std::fs::rename(&tmp, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
    }
    dir.is_dir().then_some(dir)
}
