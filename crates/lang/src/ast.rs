//! The Beamtalk syntax tree. Every node carries the [`Span`] of source it came from.

/// Byte offsets `[start, end)` into the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// What a REPL line, `eval` argument or `.bt` file contains.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Statements(Vec<Expr>),
    Class(ClassDef),
    /// `Class >> selector => body` at the REPL.
    Method {
        class: String,
        class_side: bool,
        method: MethodDef,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A name: a variable, `self`, `super`, `nil`/`true`/`false` are literals.
    Var(String),
    /// An upper-case name: a class (or `Erlang`, `Transcript`).
    Global(String),
    /// `self.slot`.
    Field(String),
    Assign {
        target: AssignTarget,
        value: Box<Expr>,
    },
    Send {
        receiver: Box<Expr>,
        selector: String,
        args: Vec<Expr>,
        cast: bool,
    },
    /// `super selector args`.
    SuperSend {
        selector: String,
        args: Vec<Expr>,
    },
    Cascade {
        receiver: Box<Expr>,
        messages: Vec<(String, Vec<Expr>, Span)>,
    },
    Block {
        params: Vec<String>,
        body: Vec<Expr>,
    },
    Return(Box<Expr>),
    /// `#[a, b]`.
    Array(Vec<Expr>),
    /// `#(a, b)`.
    List(Vec<Expr>),
    /// `#{k => v}`.
    Dict(Vec<(Expr, Expr)>),
    /// `"text {expr} text"`.
    Interpolated(Vec<Piece>),
    /// `value match: [pattern -> expr; ...]`: the first arm whose pattern matches (and whose guard, if
    /// any, answers true) runs, with its names bound.
    Match {
        value: Box<Expr>,
        arms: Vec<MatchArm>,
    },
    /// `#(a, b) := value`, `{ok, v} := value`: binds the names of `pattern` to the parts of `value`.
    Destructure {
        pattern: Pattern,
        value: Box<Expr>,
    },
}

/// One arm of a `match:`: `pattern when: [guard] -> body`.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchArm {
    pub pattern: Pattern,
    /// `when: [...]`: a block that sees the pattern's names and must answer true for the arm to run.
    pub guard: Option<Expr>,
    pub body: Expr,
}

/// The left side of a destructuring assignment, or a `match:` arm's pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// A name: bound to what stands there.
    Bind(String),
    /// `_`: anything, bound to nothing.
    Ignore,
    /// A literal: what stands there must equal it.
    Literal(Literal),
    /// `{p, ...}`: an Erlang tuple of as many elements.
    Tuple(Vec<Pattern>),
    /// `#(p, ...)`: a List of as many elements.
    List(Vec<Pattern>),
    /// `#[p, ...]`: an Array of as many elements.
    Array(Vec<Pattern>),
    /// `#{#k => p, ...}`: a Dictionary holding at least these keys, their values matching.
    Map(Vec<(Literal, Pattern)>),
    /// `Result ok: p` / `Result error: p`: a Result of that kind, its value or error matching.
    Result { ok: bool, inner: Box<Pattern> },
    /// `name :: Class`: anything that is a `Class` (an instance of it or of a subclass), bound to `name`
    /// unless it is `_`.
    Typed { name: String, class: String },
    /// `<<first:8, rest/binary>>`: a binary (a String's UTF-8 bytes, or any binary) cut into segments
    /// from the left, all of it used.
    Binary(Vec<Segment>),
}

/// One segment of a binary pattern: what stands there (a name, `_` or a literal) and how it is read.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub value: Pattern,
    /// `None`: the type's own (8 bits for an integer, 64 for a float, the rest for a binary).
    pub size: Option<SegmentSize>,
    pub kind: SegmentKind,
    pub signed: bool,
    pub endian: Endian,
}

/// How big a segment is, in the units of its type (bits, or bytes for `binary`).
#[derive(Debug, Clone, PartialEq)]
pub enum SegmentSize {
    Bits(u32),
    /// The value an earlier segment of the pattern bound: `<<n:8, data:n/binary>>`.
    Name(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    Integer,
    Float,
    Binary,
    Bitstring,
    Utf8,
    Utf16,
    Utf32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    Big,
    Little,
    Native,
}

impl Segment {
    /// A segment from its value, size and the qualifiers after its `/` (Erlang's names), or why they
    /// do not make one (a message and a hint).
    pub fn new(
        value: Pattern,
        size: Option<SegmentSize>,
        qualifiers: &[String],
    ) -> Result<Segment, (String, String)> {
        let types = "integer, float, binary, bytes, bitstring, bits, utf8, utf16, utf32, signed, \
                     unsigned, big, little, native";
        let mut kind = None;
        let mut signed = None;
        let mut endian = None;
        for q in qualifiers {
            let (slot, set) = match q.as_str() {
                "integer" => (&mut kind, SegmentKind::Integer),
                "float" => (&mut kind, SegmentKind::Float),
                "binary" | "bytes" => (&mut kind, SegmentKind::Binary),
                "bitstring" | "bits" => (&mut kind, SegmentKind::Bitstring),
                "utf8" => (&mut kind, SegmentKind::Utf8),
                "utf16" => (&mut kind, SegmentKind::Utf16),
                "utf32" => (&mut kind, SegmentKind::Utf32),
                "signed" | "unsigned" => {
                    if signed.replace(q == "signed").is_some() {
                        return Err((
                            format!("`{q}` repeats the segment's signedness"),
                            types.into(),
                        ));
                    }
                    continue;
                }
                "big" | "little" | "native" => {
                    let e = match q.as_str() {
                        "big" => Endian::Big,
                        "little" => Endian::Little,
                        _ => Endian::Native,
                    };
                    if endian.replace(e).is_some() {
                        return Err((
                            format!("`{q}` repeats the segment's byte order"),
                            types.into(),
                        ));
                    }
                    continue;
                }
                other => {
                    return Err((
                        format!("unknown segment type `{other}`"),
                        format!("one of {types}"),
                    ));
                }
            };
            if slot.replace(set).is_some() {
                return Err((
                    format!("`{q}` is a second type for one segment"),
                    types.into(),
                ));
            }
        }
        // A string stands for its UTF-8 bytes.
        let kind = kind.unwrap_or(match &value {
            Pattern::Literal(Literal::String(_)) => SegmentKind::Binary,
            _ => SegmentKind::Integer,
        });
        let size = match (&value, kind, size) {
            (Pattern::Literal(Literal::String(s)), SegmentKind::Binary, None) => {
                Some(SegmentSize::Bits(u32::try_from(s.len()).map_err(|_| {
                    ("the string is too long".to_owned(), String::new())
                })?))
            }
            (_, _, size) => size,
        };
        match (kind, &size) {
            (SegmentKind::Utf8 | SegmentKind::Utf16 | SegmentKind::Utf32, Some(_)) => Err((
                "a UTF segment has no size: it is one character, as long as its encoding".into(),
                "drop the `:size`".into(),
            )),
            (SegmentKind::Float, Some(SegmentSize::Bits(b))) if ![16, 32, 64].contains(b) => Err((
                format!("a float is 16, 32 or 64 bits, not {b}"),
                "`x:32/float` or `x/float` (64)".into(),
            )),
            _ => Ok(Segment {
                value,
                size,
                kind,
                signed: signed.unwrap_or(false),
                endian: endian.unwrap_or(Endian::Big),
            }),
        }
    }

    /// The name the segment binds.
    pub fn name(&self) -> Option<&str> {
        match &self.value {
            Pattern::Bind(n) => Some(n),
            _ => None,
        }
    }
}

impl Pattern {
    /// The names the pattern binds, in order, each once (a name that stands twice, `#[x, x]`, requires
    /// equal values there).
    pub fn names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.collect_names(&mut names);
        names
    }

    fn collect_names<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Pattern::Bind(n) | Pattern::Typed { name: n, .. } => {
                if n != "_" && !out.contains(&n.as_str()) {
                    out.push(n);
                }
            }
            Pattern::Tuple(ps) | Pattern::List(ps) | Pattern::Array(ps) => {
                ps.iter().for_each(|p| p.collect_names(out));
            }
            Pattern::Map(pairs) => pairs.iter().for_each(|(_, p)| p.collect_names(out)),
            Pattern::Result { inner, .. } => inner.collect_names(out),
            Pattern::Binary(segments) => segments.iter().for_each(|s| s.value.collect_names(out)),
            Pattern::Ignore | Pattern::Literal(_) => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AssignTarget {
    Var(String),
    Field(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Integer(num_bigint::BigInt),
    Float(f64),
    String(String),
    Symbol(String),
    Char(u32),
    Nil,
    True,
    False,
}

/// `Object subclass: Name` with its fields/state and methods.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassDef {
    pub name: String,
    pub superclass: String,
    /// The superclass's parameters as written (`DynamicSupervisor(Worker) subclass: Pool`).
    pub superclass_params: Option<String>,
    /// The class's own type parameters (`Value subclass: Box(T)`): names for the type checker, nothing
    /// at run time (chapter 27).
    pub type_params: Vec<String>,
    /// For `Protocol define: Printable`: the selectors a class must answer to conform (the protocol's
    /// signatures); `None` for a class.
    pub protocol: Option<Vec<String>>,
    /// `abstract`, `sealed`, `typed` before the header.
    pub modifiers: Vec<String>,
    pub slots: Vec<SlotDef>,
    /// `classState: name = default`: variables of the class itself, read and written by class methods
    /// as `self.name`.
    pub class_slots: Vec<SlotDef>,
    pub methods: Vec<MethodDef>,
    pub class_methods: Vec<MethodDef>,
    pub span: Span,
}

/// `field: name = default` (Value) or `state: name = default` (Actor).
#[derive(Debug, Clone, PartialEq)]
pub struct SlotDef {
    pub name: String,
    /// `:: Type`, as written (types are kept for documentation and never change behaviour).
    pub ty: Option<String>,
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MethodDef {
    pub selector: String,
    pub params: Vec<String>,
    /// Each parameter's `:: Type`, as written.
    pub param_types: Vec<Option<String>>,
    /// `-> Type` after the pattern, as written.
    pub return_type: Option<String>,
    /// `sealed` (no subclass may override it) and `internal` (the package's own), as written before the
    /// pattern.
    pub modifiers: Vec<String>,
    pub body: Vec<Expr>,
    pub span: Span,
}

/// Calls `f` on `e` and on every expression inside it, outside in.
pub fn walk(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Return(v)
        | ExprKind::Assign { value: v, .. }
        | ExprKind::Destructure { value: v, .. } => walk(v, f),
        ExprKind::Match { value, arms } => {
            walk(value, f);
            for arm in arms {
                if let Some(g) = &arm.guard {
                    walk(g, f);
                }
                walk(&arm.body, f);
            }
        }
        ExprKind::Send { receiver, args, .. } => {
            walk(receiver, f);
            args.iter().for_each(|a| walk(a, f));
        }
        ExprKind::SuperSend { args, .. } => args.iter().for_each(|a| walk(a, f)),
        ExprKind::Cascade { receiver, messages } => {
            walk(receiver, f);
            messages
                .iter()
                .for_each(|(_, args, _)| args.iter().for_each(|a| walk(a, f)));
        }
        ExprKind::Block { body, .. } => body.iter().for_each(|b| walk(b, f)),
        ExprKind::Array(items) | ExprKind::List(items) => items.iter().for_each(|i| walk(i, f)),
        ExprKind::Dict(pairs) => pairs.iter().for_each(|(k, v)| {
            walk(k, f);
            walk(v, f);
        }),
        ExprKind::Interpolated(pieces) => pieces.iter().for_each(|p| {
            if let Piece::Expr(e) = p {
                walk(e, f);
            }
        }),
        ExprKind::Literal(_) | ExprKind::Var(_) | ExprKind::Global(_) | ExprKind::Field(_) => {}
    }
}
