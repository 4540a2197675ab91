//! The decision rules over the folded token stream.
//!
//! Every folded token is the *anchor* of one evaluation, with up to [`RING`]` - 1` tokens of look-ahead and the
//! class of the token before it. Rules anchored at stream position 0 describe how an injected value *starts*
//! (a quote break-out, a number, a bare boolean); the others describe fragments that are injections wherever they
//! occur (`<value> UNION SELECT`, `<value> ; DROP TABLE`, `AND SLEEP(`, `xp_cmdshell`, ...). Each rule states the
//! lowest [`Sensitivity`] at which it fires; the full list with examples is in `docs/waf-detectors.md`.

use super::lexer::{Kind, Token, Word, CLOSED, CTX_OPEN, EMPTY_BODY, LINE_COMMENT, STAR, SYMBOLIC};
use super::Sensitivity;

/// Tokens held at once: the anchor plus its look-ahead.
pub(crate) const RING: usize = 16;

/// Which rule matched. The names are stable and meant for logs and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SqliRule {
    /// A closed quote, optional `)`, then boolean logic and a comparison, function call, sub-query or bare value:
    /// `' OR 1=1`, `') or ('a'='a`, `" and sleep(5)`, `' or 1--`.
    BooleanAfterQuote,
    /// A number or literal value, optional `)`, then boolean logic and a tautology, function call or sub-query:
    /// `1 OR 1=1`, `1) AND (SELECT 1)`, `1 and ascii(substr(user(),1,1))>64`. HIGH also: any comparison, `1 or 1`.
    BooleanAfterValue,
    /// The value starts with boolean logic (`or 1=1`, `and 'a'='a'`). LOW only with a tautology and a trailing
    /// comment; HIGH otherwise.
    BareBoolean,
    /// A closed quote (and optional `)` or `;`) followed by a comment that truncates the rest of the query:
    /// `admin'--`, `admin')/*`, `x';--`. HIGH also: `1--`, `Jones' # note` with a non-empty comment body.
    CommentTruncation,
    /// A closed quote followed by an operator and a string, function or sub-query: `'='`, `'-'`, `'+(select 1)+'`,
    /// `'||version()||'`.
    QuoteOperator,
    /// A value followed by `UNION [ALL|DISTINCT] SELECT` and a select-list item: `-1 UNION SELECT 1,2`,
    /// `') union all select null--`.
    UnionSelect,
    /// A value followed by `;` and a complete-looking statement: `1; DROP TABLE users`, `'; exec xp_cmdshell 'dir'`.
    StackedQuery,
    /// A time-delay function in expression position or `WAITFOR DELAY '..'`: `and sleep(5)`,
    /// `|| pg_sleep(5)`, `;waitfor delay '0:0:5'`, `benchmark(1e7,md5(1))`.
    TimeDelay,
    /// A function call used almost only by attacks: error-based extraction (`extractvalue(`, `updatexml(`,
    /// `gtid_subset(`), file access (`load_file(`, `pg_read_file(`), out-of-band (`utl_http.request(`).
    DangerousFunction,
    /// A stored procedure or system catalog name used almost only by attacks: `xp_cmdshell`, `sp_executesql`,
    /// `FROM information_schema.tables`, `FROM sqlite_master`.
    DangerousIdentifier,
    /// `INTO OUTFILE` / `INTO DUMPFILE`.
    FileWrite,
    /// A tautology after boolean logic anywhere in the value: `... x' or 'a'='a`, `id=2 or 1=1`.
    Tautology,
    /// Column-count probing: `1 ORDER BY 10--`, `' group by 3--`.
    OrderByProbe,
    /// A MySQL executable comment `/*! ... */` (HIGH only).
    ExecutableComment,
}

/// A rule that matched: which, at what lowest sensitivity, and how many tokens from the anchor it covers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit {
    pub rule: SqliRule,
    pub level: Sensitivity,
    pub len: usize,
}

fn hit(rule: SqliRule, level: Sensitivity, len: usize) -> Option<Hit> {
    Some(Hit { rule, level, len })
}

const LOW: Sensitivity = Sensitivity::Low;
const HIGH: Sensitivity = Sensitivity::High;

/// A look at the stream from one anchor token.
pub(crate) struct View<'a> {
    pub input: &'a [u8],
    pub ring: &'a [Token; RING],
    /// Ring index of the anchor.
    pub head: usize,
    /// Tokens available from the anchor on (anchor included).
    pub avail: usize,
    /// Stream position of the anchor.
    pub index: usize,
    /// Class of the token before the anchor, [`Kind::End`] at the start.
    pub pred: Kind,
}

impl View<'_> {
    fn t(&self, i: usize) -> Token {
        if i < self.avail {
            self.ring[(self.head + i) % RING]
        } else {
            Token::EMPTY
        }
    }

    fn k(&self, i: usize) -> Kind {
        self.t(i).kind
    }

    fn w(&self, i: usize) -> Word {
        self.t(i).word
    }

    fn text(&self, i: usize) -> &[u8] {
        let t = self.t(i);
        self.input.get(t.start..t.end).unwrap_or_default()
    }

    /// The token's value: string content without quotes, otherwise its text.
    fn value(&self, i: usize) -> &[u8] {
        let t = self.t(i);
        let text = self.text(i);
        if t.kind != Kind::Str {
            return text;
        }
        let mut v = text;
        if !t.has(CTX_OPEN) {
            let q = v
                .iter()
                .position(|&b| b == b'\'' || b == b'"')
                .map_or(v.len(), |p| p + 1);
            v = &v[q.min(v.len())..];
        }
        if t.has(CLOSED) {
            v = &v[..v.len().saturating_sub(1)];
        }
        v
    }

    /// Index of the first token at or after `i` that is not `kind`.
    fn skip(&self, mut i: usize, kind: Kind) -> usize {
        while i < self.avail && self.k(i) == kind {
            i += 1;
        }
        i
    }
}

/// A value an injected clause can follow: a number, a closed string, `)`, a variable, `NULL`/`TRUE`/`FALSE`.
fn valueish(t: &Token) -> bool {
    match t.kind {
        Kind::Num | Kind::RParen | Kind::Var | Kind::Lit => true,
        Kind::Str => t.has(CLOSED),
        _ => false,
    }
}

fn operand(k: Kind) -> bool {
    matches!(k, Kind::Num | Kind::Str | Kind::Var | Kind::Lit | Kind::Word)
}

/// Tokens after which a bare value ends an injected boolean (`' or 1--`, `1 or true)`).
fn terminator(k: Kind) -> bool {
    matches!(
        k,
        Kind::End
            | Kind::Comment
            | Kind::Semi
            | Kind::RParen
            | Kind::Keyword
            | Kind::Logic
            | Kind::Union
            | Kind::Statement
    )
}

/// What follows a boolean connector.
enum Operand {
    /// A function call, a sub-query or `CASE`: `len` tokens from the anchor.
    Expression(usize),
    /// `x <cmp> y`.
    Compare {
        x: usize,
        cmp: usize,
        y: usize,
        after: usize,
    },
    /// A single operand followed by the token at `after`.
    Bare { x: usize, after: usize },
    /// Anything else.
    Other,
}

fn operand_at(v: &View, m: usize) -> Operand {
    let i = v.skip(m, Kind::LParen);
    match (v.k(i), v.w(i)) {
        (Kind::Function, _) => return Operand::Expression(i + 2),
        (Kind::Statement, Word::Select) | (Kind::Keyword, Word::Case) => return Operand::Expression(i + 1),
        (k, _) if operand(k) => {}
        _ => return Operand::Other,
    }
    let x = i;
    let c = v.skip(x + 1, Kind::RParen);
    if v.k(c) != Kind::Cmp {
        return Operand::Bare { x, after: c };
    }
    let y = v.skip(c + 1, Kind::LParen);
    match (v.k(y), v.w(y)) {
        (Kind::Function, _) | (Kind::Statement, Word::Select) => Operand::Expression(y + 1),
        (k, _) if operand(k) => Operand::Compare {
            x,
            cmp: c,
            y,
            after: v.skip(y + 1, Kind::RParen),
        },
        _ => Operand::Other,
    }
}

fn tautology(v: &View, x: usize, y: usize) -> bool {
    v.value(x).eq_ignore_ascii_case(v.value(y))
}

fn connector(v: &View, i: usize) -> bool {
    (v.k(i) == Kind::Logic && v.w(i) != Word::Not) || matches!(v.w(i), Word::Having | Word::Where)
}

/// Runs every rule at this anchor and returns the first that fires at `sens`.
pub(crate) fn check(v: &View, sens: Sensitivity) -> Option<Hit> {
    let rules: [fn(&View) -> Option<Hit>; 8] = [
        value_start,
        bare_boolean,
        union_select,
        stacked,
        time_delay,
        dangerous,
        tautology_anywhere,
        order_by,
    ];
    rules
        .iter()
        .filter_map(|r| r(v))
        .find(|h| h.level == LOW || sens == HIGH)
}

/// Rules anchored at the first token: a closed quote (strong) or a number/literal/`)`/as-is string (weak).
fn value_start(v: &View) -> Option<Hit> {
    if v.index != 0 {
        return None;
    }
    let t0 = v.t(0);
    let strong = t0.kind == Kind::Str && t0.has(CTX_OPEN) && t0.has(CLOSED);
    if !strong && !valueish(&t0) {
        return None;
    }
    let j = v.skip(1, Kind::RParen);
    let closers = j > 1 || t0.kind == Kind::RParen;
    let (rule, level) = if strong {
        (SqliRule::BooleanAfterQuote, LOW)
    } else {
        (SqliRule::BooleanAfterValue, LOW)
    };
    if connector(v, j) {
        return match operand_at(v, j + 1) {
            Operand::Expression(len) => hit(rule, level, len),
            Operand::Compare { x, cmp, y, after } => {
                let words = v.k(x) == Kind::Word && v.k(y) == Kind::Word;
                let symbolic = v.t(cmp).has(SYMBOLIC);
                let low = if strong {
                    symbolic || !words
                } else {
                    (tautology(v, x, y) && (symbolic || !words))
                        || v.k(after) == Kind::Comment
                        || v.k(x) == Kind::Var
                        || v.k(y) == Kind::Var
                };
                hit(rule, if low { LOW } else { HIGH }, y + 1)
            }
            Operand::Bare { x, after } => {
                let (xk, ak) = (v.k(x), v.k(after));
                let arithmetic = ak == Kind::Op && matches!(v.k(after + 1), Kind::Str | Kind::Num);
                let level = match xk {
                    Kind::Str | Kind::Num if arithmetic => {
                        if strong {
                            LOW
                        } else {
                            HIGH
                        }
                    }
                    Kind::Num | Kind::Lit | Kind::Var if strong && terminator(ak) => LOW,
                    Kind::Num | Kind::Lit if ak == Kind::Comment => LOW,
                    Kind::Num | Kind::Lit | Kind::Var if terminator(ak) => HIGH,
                    Kind::Str if strong && ak == Kind::Comment => LOW,
                    Kind::Str if terminator(ak) => HIGH,
                    Kind::Word if strong && ak == Kind::Comment => HIGH,
                    _ => return None,
                };
                hit(rule, level, x + 1)
            }
            Operand::Other => None,
        };
    }
    let c = v.t(j);
    match c.kind {
        Kind::Comment if strong => {
            let low = c.has(EMPTY_BODY) || !c.has(LINE_COMMENT) || (closers && !v.t(0).has(super::lexer::SPACE_IN));
            hit(SqliRule::CommentTruncation, if low { LOW } else { HIGH }, j + 1)
        }
        Kind::Comment if c.has(EMPTY_BODY) && t0.kind != Kind::Var => hit(SqliRule::CommentTruncation, HIGH, j + 1),
        Kind::Semi if strong => match v.k(j + 1) {
            Kind::Comment => hit(SqliRule::CommentTruncation, LOW, j + 2),
            Kind::End => hit(SqliRule::CommentTruncation, HIGH, j + 1),
            _ => None,
        },
        Kind::Op | Kind::Cmp if !strong => {
            let m = v.skip(j + 1, Kind::LParen);
            match (v.k(m), v.w(m)) {
                (Kind::Function, _) | (Kind::Statement, Word::Select) => hit(SqliRule::BooleanAfterValue, LOW, m + 1),
                _ => None,
            }
        }
        Kind::Op | Kind::Cmp => {
            let m = v.skip(j + 1, Kind::LParen);
            match (v.k(m), v.w(m)) {
                (Kind::Function, _) | (Kind::Statement, Word::Select) | (Kind::Str, _) => {
                    hit(SqliRule::QuoteOperator, LOW, m + 1)
                }
                (Kind::Num, _) if matches!(v.k(m + 1), Kind::End | Kind::Comment) => {
                    hit(SqliRule::QuoteOperator, HIGH, m + 1)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The value starts with boolean logic: `or 1=1`, `and 'a'='a'--`, `|| 1`.
fn bare_boolean(v: &View) -> Option<Hit> {
    if v.index != 0 || !connector(v, 0) || v.k(0) != Kind::Logic {
        return None;
    }
    match operand_at(v, 1) {
        Operand::Compare { x, y, after, .. } => {
            let low = tautology(v, x, y) && v.k(x) != Kind::Word && v.k(after) == Kind::Comment;
            hit(SqliRule::BareBoolean, if low { LOW } else { HIGH }, y + 1)
        }
        Operand::Bare { x, after } if matches!(v.k(x), Kind::Num | Kind::Lit) && terminator(v.k(after)) => {
            hit(SqliRule::BareBoolean, HIGH, x + 1)
        }
        Operand::Expression(len) => hit(SqliRule::BareBoolean, HIGH, len),
        _ => None,
    }
}

/// Shape of the select list after `SELECT`.
#[derive(PartialEq, Eq)]
enum SelectList {
    /// A literal, variable, function, `*` or parenthesis: `select 1`, `select @@version`, `select *`.
    Literal,
    /// A column name followed by `,`, `FROM` or a comment: `select password from users`.
    Column,
    /// A bare column name and nothing SQL-like after it: `select committee`.
    Bare,
}

/// `SELECT` (after optional `(`) at `i`, and the shape of its select list. Returns the index after the first item.
fn select_at(v: &View, i: usize) -> Option<(usize, SelectList)> {
    let i = v.skip(i, Kind::LParen);
    if v.w(i) != Word::Select || v.k(i) != Kind::Statement {
        return None;
    }
    let i = if v.w(i + 1) == Word::All { i + 2 } else { i + 1 };
    let t = v.t(i);
    match t.kind {
        Kind::Num | Kind::Str | Kind::Var | Kind::Lit | Kind::Function | Kind::LParen => {
            Some((i + 1, SelectList::Literal))
        }
        Kind::Op if t.has(STAR) => Some((i + 1, SelectList::Literal)),
        Kind::Word => match (v.k(i + 1), v.w(i + 1)) {
            (Kind::Comma | Kind::Comment | Kind::Semi, _) | (_, Word::From) => Some((i + 1, SelectList::Column)),
            (Kind::End, _) => Some((i + 1, SelectList::Bare)),
            _ => None,
        },
        _ => None,
    }
}

/// `<value> UNION [ALL] SELECT <item>`, or a value that starts with `UNION SELECT`.
fn union_select(v: &View) -> Option<Hit> {
    let t0 = v.t(0);
    if v.index == 0 && t0.kind == Kind::Union {
        let (len, list) = select_at(v, 1)?;
        return hit(
            SqliRule::UnionSelect,
            if list == SelectList::Literal { LOW } else { HIGH },
            len,
        );
    }
    if v.k(1) != Kind::Union {
        return None;
    }
    let (len, list) = select_at(v, 2)?;
    let level = if valueish(&t0) && list != SelectList::Bare {
        LOW
    } else if valueish(&t0) || t0.kind == Kind::Word {
        HIGH
    } else {
        return None;
    };
    hit(SqliRule::UnionSelect, level, len)
}

/// A statement that looks complete enough to be a stacked query, starting at `i`.
fn statement_at(v: &View, i: usize) -> Option<(usize, Sensitivity)> {
    let t = v.t(i);
    if t.kind != Kind::Statement {
        return None;
    }
    let (n1, n2) = (v.t(i + 1), v.t(i + 2));
    let ends = |k: Kind| matches!(k, Kind::End | Kind::Semi | Kind::Comment | Kind::Comma);
    let found = match t.word {
        Word::Select => {
            let (len, list) = select_at(v, i)?;
            return Some((len, if list == SelectList::Bare { HIGH } else { LOW }));
        }
        Word::Insert => n1.word == Word::Into && n2.kind == Kind::Word,
        Word::Update => n1.kind == Kind::Word && n2.word == Word::Set,
        Word::Delete => n1.word == Word::From && n2.kind == Kind::Word,
        Word::Drop | Word::Truncate => {
            n1.word == Word::Object && (ends(n2.kind) || (n2.kind == Kind::Word && ends(v.k(i + 3))))
        }
        Word::Create | Word::Alter => n1.word == Word::Object && matches!(n2.kind, Kind::Word | Kind::Str),
        Word::Exec => match n1.kind {
            Kind::LParen | Kind::Var | Kind::Str => true,
            Kind::Word => n1.word == Word::DangerName || v.text(i + 1).iter().any(|&b| b == b'_' || b == b'.'),
            _ => n1.word == Word::Immediate,
        },
        Word::Declare | Word::Set => n1.kind == Kind::Var,
        Word::Shutdown => ends(n1.kind) || n1.word == Word::With,
        Word::Waitfor => matches!(n1.word, Word::Delay | Word::Time),
        Word::Grant => {
            matches!(n1.kind, Kind::Keyword | Kind::Statement) && matches!(n2.kind, Kind::Keyword | Kind::Word)
        }
        Word::Other => n1.word == Word::Object,
        _ => false,
    };
    found.then_some((i + 2, LOW))
}

/// `<value> ; <statement>` anywhere, or a value that starts with `; <statement>`.
fn stacked(v: &View) -> Option<Hit> {
    let t0 = v.t(0);
    if v.index == 0 && t0.kind == Kind::Semi {
        let (len, level) = statement_at(v, 1)?;
        return hit(SqliRule::StackedQuery, level, len);
    }
    if v.k(1) != Kind::Semi {
        return None;
    }
    let (len, level) = statement_at(v, 2)?;
    let level = match t0.kind {
        _ if valueish(&t0) => level,
        Kind::Word => HIGH,
        _ => return None,
    };
    hit(SqliRule::StackedQuery, level, len)
}

/// `SLEEP(`, `BENCHMARK(`, `PG_SLEEP(`, ... in expression position, and `WAITFOR DELAY '..'`.
fn time_delay(v: &View) -> Option<Hit> {
    let t0 = v.t(0);
    if t0.kind == Kind::Statement && t0.word == Word::Waitfor {
        return (matches!(v.w(1), Word::Delay | Word::Time) && v.k(2) == Kind::Str).then_some(Hit {
            rule: SqliRule::TimeDelay,
            level: LOW,
            len: 3,
        });
    }
    if t0.kind != Kind::Function || t0.word != Word::TimeFn || v.k(1) != Kind::LParen {
        return None;
    }
    if !matches!(
        v.k(2),
        Kind::Num | Kind::Str | Kind::Var | Kind::Function | Kind::LParen | Kind::Statement
    ) {
        return None;
    }
    let level = match v.pred {
        Kind::Logic | Kind::Op | Kind::Cmp | Kind::Statement | Kind::Keyword | Kind::Union => LOW,
        _ => HIGH,
    };
    hit(SqliRule::TimeDelay, level, 3)
}

/// Attack-only functions, procedures, catalog tables and `INTO OUTFILE`.
fn dangerous(v: &View) -> Option<Hit> {
    let t0 = v.t(0);
    match (t0.kind, t0.word) {
        (Kind::Function, Word::DangerFn) if v.k(1) == Kind::LParen => hit(SqliRule::DangerousFunction, LOW, 2),
        (Kind::Word, Word::DangerName) => hit(SqliRule::DangerousIdentifier, LOW, 1),
        (Kind::Keyword, Word::From) if v.w(1) == Word::SchemaTable => hit(SqliRule::DangerousIdentifier, LOW, 2),
        (Kind::Word, Word::SchemaTable) => hit(SqliRule::DangerousIdentifier, HIGH, 1),
        (Kind::Keyword, Word::Into) if v.w(1) == Word::Outfile => hit(SqliRule::FileWrite, LOW, 2),
        _ => None,
    }
}

/// `<value> <logic> x = x` anywhere after the first token.
fn tautology_anywhere(v: &View) -> Option<Hit> {
    if v.index == 0 || !valueish(&v.t(0)) || !connector(v, 1) {
        return None;
    }
    match operand_at(v, 2) {
        Operand::Compare { x, cmp, y, .. } if tautology(v, x, y) => {
            let symbolic = v.t(cmp).has(SYMBOLIC) || v.w(cmp) == Word::Like;
            let level = match v.k(x) {
                _ if !symbolic => return None,
                Kind::Word => HIGH,
                _ => LOW,
            };
            hit(SqliRule::Tautology, level, y + 1)
        }
        _ => None,
    }
}

/// `1 ORDER BY 10--`, `' group by 3`: column-count probing right after the value.
fn order_by(v: &View) -> Option<Hit> {
    if v.index != 0 {
        return None;
    }
    let t0 = v.t(0);
    let strong = t0.kind == Kind::Str && t0.has(CTX_OPEN) && t0.has(CLOSED);
    if !strong && !valueish(&t0) {
        return None;
    }
    let j = v.skip(1, Kind::RParen);
    if !matches!(v.w(j), Word::OrderBy | Word::GroupBy) {
        return None;
    }
    let level = match (v.k(j + 1), v.k(j + 2), v.w(j + 2)) {
        (Kind::Num, Kind::Comment, _) => LOW,
        (Kind::Num, Kind::End | Kind::Semi | Kind::Comma, _) if strong => LOW,
        (Kind::Num, Kind::End, _) => HIGH,
        (Kind::Word, Kind::Comment, _) | (Kind::Word | Kind::Num, _, Word::Having) if strong => LOW,
        _ => return None,
    };
    hit(SqliRule::OrderByProbe, level, j + 2)
}
