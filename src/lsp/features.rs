//! The requests the server answers, each from the editor engine's outline, symbols and completion.

use lsp_server::ErrorCode;
use lsp_types::{
    CompletionParams, DocumentFormattingParams, DocumentSymbolParams, ExecuteCommandParams,
    GotoDefinitionParams, HoverParams, ReferenceParams, RenameParams, TextDocumentPositionParams,
    Url, WorkspaceSymbolParams,
};
use serde_json::{Value, json};

use super::index::Source;
use super::server::Server;
use crate::lang::ast::Span;
use crate::lang::ide::complete::{Kind, Request, complete};
use crate::lang::ide::find::{self, Symbol};
use crate::lang::ide::outline::MethodSymbol;

/// The commands an editor can bind (`workspace/executeCommand`).
pub const COMMANDS: [&str; 3] = ["beamtalk.eval", "beamtalk.load", "beamtalk.test"];

type Answer = Result<Value, (ErrorCode, String)>;

fn failed(message: impl Into<String>) -> (ErrorCode, String) {
    (ErrorCode::RequestFailed, message.into())
}

/// Where a span of a source is, as an LSP location.
fn not_open(url: &Url) -> (ErrorCode, String) {
    (ErrorCode::InvalidParams, format!("{url} is not open"))
}

fn location(url: &Url, src: &Source, span: Span) -> Value {
    json!({ "uri": url, "range": src.lines.range(&src.text, span) })
}

impl Server {
    /// The open document at `url`, analysed if `fresh` (completion makes do with the last outline).
    fn document(&mut self, url: &Url, fresh: bool) -> Result<&Source, (ErrorCode, String)> {
        let doc = self.index.open.get_mut(url).ok_or_else(|| not_open(url))?;
        if fresh && doc.stale {
            doc.analyse();
            self.index.changed();
        }
        Ok(&self.index.open[url])
    }

    /// Every open document analysed, for requests that look across sources.
    fn all_fresh(&mut self) {
        let mut changed = false;
        for doc in self.index.open.values_mut() {
            changed |= doc.stale;
            doc.analyse();
        }
        if changed {
            self.index.changed();
        }
    }

    /// The symbol at a position of an open document, with the offset it is at.
    fn symbol(
        &mut self,
        at: &TextDocumentPositionParams,
    ) -> Result<Option<(Symbol, Span)>, (ErrorCode, String)> {
        self.all_fresh();
        let doc = self.document(&at.text_document.uri, true)?;
        let offset = doc.lines.offset(&doc.text, at.position);
        Ok(find::symbol_at(&doc.outline, &doc.tokens, offset))
    }

    pub fn completion(&mut self, p: CompletionParams) -> Answer {
        let at = &p.text_document_position;
        self.index
            .refresh_catalog(&self.live.catalog, self.live.generation);
        // The last outline serves: completion does not wait for the document to be analysed again.
        let url = &at.text_document.uri;
        let doc = self.index.open.get(url).ok_or_else(|| not_open(url))?;
        let offset = doc.lines.offset(&doc.text, at.position);
        let (start, items) = complete(&Request {
            src: &doc.text,
            offset,
            tokens: &doc.tokens,
            outline: &doc.outline,
            catalog: self.index.catalog(),
            bindings: &self.live.bindings,
            snippets: true,
        });
        let range = doc.lines.range(&doc.text, Span::new(start, offset));
        let items: Vec<Value> = items
            .into_iter()
            .take(500)
            .enumerate()
            .map(|(i, c)| {
                json!({
                    "label": c.label,
                    "kind": match c.kind { Kind::Class => 7, Kind::Method => 2, Kind::Keyword => 3, Kind::Variable => 6 },
                    "detail": c.detail,
                    "sortText": format!("{i:05}"),
                    "filterText": c.label,
                    "insertTextFormat": if c.snippet { 2 } else { 1 },
                    "textEdit": { "range": range, "newText": c.insert },
                })
            })
            .collect();
        Ok(json!({ "isIncomplete": false, "items": items }))
    }

    pub fn hover(&mut self, p: HoverParams) -> Answer {
        let Some((symbol, span)) = self.symbol(&p.text_document_position_params)? else {
            return Ok(Value::Null);
        };
        let text = match &symbol {
            Symbol::Class(name) => self.class_help(name),
            Symbol::Selector(sel) => self.selector_help(sel),
            Symbol::Local(name) => Some(format!("local variable `{name}`")),
            Symbol::Slot(name) => Some(format!("slot `self.{name}`")),
        };
        let doc = &self.index.open[&p.text_document_position_params.text_document.uri];
        Ok(match text {
            Some(value) => json!({
                "contents": { "kind": "markdown", "value": value },
                "range": doc.lines.range(&doc.text, span),
            }),
            None => Value::Null,
        })
    }

    fn class_help(&mut self, name: &str) -> Option<String> {
        for (_, src) in self.index.sources() {
            if let Some(c) = src.outline.classes.iter().find(|c| c.name == name) {
                return Some(format!(
                    "```beamtalk\n{} subclass: {}\n```\n\n{}",
                    c.superclass, c.name, c.doc
                ));
            }
        }
        self.index
            .refresh_catalog(&self.live.catalog, self.live.generation);
        self.index
            .catalog()
            .get(name)
            .map(|c| format!("```\n{}\n```", c.help))
    }

    fn selector_help(&mut self, selector: &str) -> Option<String> {
        let methods: Vec<String> = self
            .index
            .sources()
            .flat_map(|(_, s)| s.outline.methods())
            .filter(|m| m.selector == selector)
            .take(5)
            .map(|m| {
                let side = if m.class_side { " class" } else { "" };
                format!(
                    "```beamtalk\n{}{side} >> {}\n```\n{}",
                    m.class, m.header, m.doc
                )
            })
            .collect();
        if !methods.is_empty() {
            return Some(methods.join("\n\n"));
        }
        self.index
            .refresh_catalog(&self.live.catalog, self.live.generation);
        let answered: Vec<&str> = self
            .index
            .catalog()
            .classes()
            .filter(|c| c.selectors.iter().any(|s| s == selector))
            .map(|c| c.name.as_str())
            .take(10)
            .collect();
        (!answered.is_empty()).then(|| format!("`{selector}`, answered by {}", answered.join(", ")))
    }

    pub fn definition(&mut self, p: GotoDefinitionParams) -> Answer {
        let at = &p.text_document_position_params;
        let Some((symbol, _)) = self.symbol(at)? else {
            return Ok(Value::Null);
        };
        let url = &at.text_document.uri;
        let mut found = Vec::new();
        match &symbol {
            Symbol::Class(name) => {
                for (u, s) in self.index.sources() {
                    for c in s.outline.classes.iter().filter(|c| &c.name == name) {
                        found.push(location(u, s, c.name_span));
                    }
                }
            }
            Symbol::Selector(sel) => {
                for (u, s) in self.index.sources() {
                    for m in s.outline.methods().filter(|m| &m.selector == sel) {
                        found.push(location(u, s, header_span(m)));
                    }
                }
            }
            Symbol::Local(name) => {
                let doc = &self.index.open[url];
                let offset = doc.lines.offset(&doc.text, at.position);
                if let Some(first) =
                    find::local_references(&doc.outline, &doc.tokens, offset, name).first()
                {
                    found.push(location(url, doc, *first));
                }
            }
            Symbol::Slot(name) => {
                let doc = &self.index.open[url];
                let offset = doc.lines.offset(&doc.text, at.position);
                if let Some(c) = doc.outline.class_at(offset)
                    && let Some((_, span)) = c.slots.iter().find(|(n, _)| n == name)
                {
                    found.push(location(url, doc, *span));
                }
            }
        }
        Ok(Value::Array(found))
    }

    pub fn references(&mut self, p: ReferenceParams) -> Answer {
        let at = &p.text_document_position;
        let Some((symbol, _)) = self.symbol(at)? else {
            return Ok(json!([]));
        };
        let declarations = p.context.include_declaration;
        let mut found = Vec::new();
        match &symbol {
            Symbol::Class(name) => {
                for (u, s) in self.index.sources() {
                    for span in find::class_references(&s.tokens, name) {
                        found.push(location(u, s, span));
                    }
                }
            }
            Symbol::Selector(sel) => {
                for (u, s) in self.index.sources() {
                    for o in find::occurrences(&s.outline, &s.tokens) {
                        if &o.selector == sel && (declarations || !o.definition) {
                            let span = o.parts[0].to(*o.parts.last().unwrap_or(&o.parts[0]));
                            found.push(location(u, s, span));
                        }
                    }
                }
            }
            Symbol::Local(name) | Symbol::Slot(name) => {
                let url = &at.text_document.uri;
                let doc = &self.index.open[url];
                let offset = doc.lines.offset(&doc.text, at.position);
                let spans = match symbol {
                    Symbol::Local(_) => {
                        find::local_references(&doc.outline, &doc.tokens, offset, name)
                    }
                    _ => slot_references(doc, name),
                };
                found.extend(spans.into_iter().map(|s| location(url, doc, s)));
            }
        }
        Ok(Value::Array(found))
    }

    pub fn document_symbols(&mut self, p: DocumentSymbolParams) -> Answer {
        let doc = self.document(&p.text_document.uri, true)?;
        let range = |span: Span| doc.lines.range(&doc.text, span);
        let method = |m: &MethodSymbol, name: String| {
            json!({
                "name": name, "kind": 6, "detail": m.header,
                "range": range(m.span), "selectionRange": range(header_span(m)),
            })
        };
        let mut out: Vec<Value> = doc
            .outline
            .classes
            .iter()
            .map(|c| {
                let mut children: Vec<Value> = c
                    .slots
                    .iter()
                    .map(|(name, span)| json!({
                        "name": name, "kind": 8, "range": range(*span), "selectionRange": range(*span),
                    }))
                    .collect();
                children.extend(c.methods.iter().map(|m| {
                    let side = if m.class_side { "class " } else { "" };
                    method(m, format!("{side}{}", m.selector))
                }));
                json!({
                    "name": c.name, "kind": 5, "detail": format!("{} subclass", c.superclass),
                    "range": range(c.span), "selectionRange": range(c.name_span), "children": children,
                })
            })
            .collect();
        out.extend(
            doc.outline
                .extensions
                .iter()
                .map(|m| method(m, format!("{} >> {}", m.class, m.selector))),
        );
        Ok(Value::Array(out))
    }

    pub fn workspace_symbols(&mut self, p: WorkspaceSymbolParams) -> Answer {
        self.all_fresh();
        let query = p.query.to_lowercase();
        let hit = |name: &str| name.to_lowercase().contains(&query);
        let mut out = Vec::new();
        let project = self.index.open.iter().chain(
            self.index
                .files
                .iter()
                .filter(|(u, _)| !self.index.open.contains_key(*u)),
        );
        for (u, s) in project {
            for c in s.outline.classes.iter().filter(|c| hit(&c.name)) {
                out.push(
                    json!({ "name": c.name, "kind": 5, "location": location(u, s, c.name_span) }),
                );
            }
            for m in s.outline.methods().filter(|m| hit(&m.selector)) {
                out.push(json!({
                    "name": m.selector, "kind": 6, "containerName": m.class,
                    "location": location(u, s, header_span(m)),
                }));
            }
        }
        out.truncate(1000);
        Ok(Value::Array(out))
    }

    pub fn prepare_rename(&mut self, p: TextDocumentPositionParams) -> Answer {
        match self.symbol(&p)? {
            Some((Symbol::Local(name), span)) => {
                let doc = &self.index.open[&p.text_document.uri];
                let start = span.end - name.len();
                Ok(
                    json!({ "range": doc.lines.range(&doc.text, Span::new(start, span.end)), "placeholder": name }),
                )
            }
            _ => Err(failed(
                "only local variables and parameters can be renamed here",
            )),
        }
    }

    pub fn rename(&mut self, p: RenameParams) -> Answer {
        let at = &p.text_document_position;
        let Some((Symbol::Local(name), _)) = self.symbol(at)? else {
            return Err(failed(
                "only local variables and parameters can be renamed here",
            ));
        };
        let new = &p.new_name;
        let valid = new.starts_with(|c: char| c.is_lowercase() || c == '_')
            && new.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !["self", "super", "nil", "true", "false", "thisContext"].contains(&new.as_str());
        if !valid {
            return Err((
                ErrorCode::InvalidParams,
                format!("`{new}` is not a local variable's name (a lower-case identifier)"),
            ));
        }
        let url = &at.text_document.uri;
        let doc = &self.index.open[url];
        let offset = doc.lines.offset(&doc.text, at.position);
        let edits: Vec<Value> = find::local_references(&doc.outline, &doc.tokens, offset, &name)
            .into_iter()
            .map(|s| json!({ "range": doc.lines.range(&doc.text, s), "newText": new }))
            .collect();
        Ok(json!({ "changes": { url.to_string(): edits } }))
    }

    pub fn formatting(&mut self, p: DocumentFormattingParams) -> Answer {
        let doc = self.document(&p.text_document.uri, false)?;
        if doc.too_large() {
            return Err(failed("the document is too large to format"));
        }
        match crate::lang::format::format(&doc.text) {
            Ok(f) if f == doc.text => Ok(json!([])),
            Ok(f) => Ok(json!([{
                "range": doc.lines.range(&doc.text, Span::new(0, doc.text.len())),
                "newText": f,
            }])),
            Err(crate::lang::format::FormatError::Syntax(d)) => {
                let (line, col) = d.line_col(&doc.text);
                Err(failed(format!(
                    "not formatted: {} (line {line}, column {col})",
                    d.message
                )))
            }
            Err(crate::lang::format::FormatError::Unsafe) => Err(failed(
                "not formatted: no layout kept this document's meaning",
            )),
        }
    }

    pub fn execute_command(&mut self, p: ExecuteCommandParams) -> Answer {
        let arg = |i: usize| {
            p.arguments
                .get(i)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let reply = match p.command.as_str() {
            "beamtalk.eval" => {
                let src =
                    arg(0).ok_or_else(|| bad_args("beamtalk.eval takes the source to evaluate"))?;
                self.live.eval(&src)
            }
            "beamtalk.load" => {
                let path = self.file_arg(arg(0))?;
                self.live.load(&path)
            }
            "beamtalk.test" => {
                let url = arg(0).and_then(|u| Url::parse(&u).ok());
                let path = self.file_arg(arg(0))?;
                let class = match arg(1) {
                    Some(c) => Some(c),
                    None => self.test_class_at(url.as_ref(), p.arguments.get(1)),
                };
                let class = class.ok_or_else(|| bad_args("beamtalk.test takes a document and a TestCase class (or a position in one)"))?;
                self.live.load(&path).and_then(|loaded| match loaded.error {
                    true => Ok(loaded),
                    false => self.live.eval(&format!("Workspace test: {class}")),
                })
            }
            other => {
                return Err((
                    ErrorCode::InvalidParams,
                    format!("unknown command `{other}`"),
                ));
            }
        };
        let reply = reply.map_err(failed)?;
        Ok(json!({ "value": reply.text, "error": reply.error, "output": reply.output }))
    }

    fn file_arg(&self, uri: Option<String>) -> Result<std::path::PathBuf, (ErrorCode, String)> {
        uri.and_then(|u| Url::parse(&u).ok())
            .and_then(|u| u.to_file_path().ok())
            .ok_or_else(|| bad_args("the command takes a file: URI"))
    }

    /// The TestCase class at `position` (a JSON position) of document `url`.
    fn test_class_at(&mut self, url: Option<&Url>, position: Option<&Value>) -> Option<String> {
        let pos: lsp_types::Position = serde_json::from_value(position?.clone()).ok()?;
        let doc = self.document(url?, true).ok()?;
        let offset = doc.lines.offset(&doc.text, pos);
        doc.outline.class_at(offset).map(|c| c.name.clone())
    }
}

fn bad_args(message: &str) -> (ErrorCode, String) {
    (ErrorCode::InvalidParams, message.to_owned())
}

/// A method's header: from its start to where its body starts (or its end).
fn header_span(m: &MethodSymbol) -> Span {
    Span::new(
        m.span.start,
        m.span.start + m.header.len().min(m.span.end - m.span.start),
    )
}

fn slot_references(doc: &Source, name: &str) -> Vec<Span> {
    doc.tokens
        .iter()
        .filter(|t| matches!(&t.tok, crate::lang::lexer::Tok::Field(n) if n == name))
        .map(|t| t.span)
        .collect()
}
