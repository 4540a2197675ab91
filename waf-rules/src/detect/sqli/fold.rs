//! Token folding: turns the raw token stream into the shape the decision rules read.
//!
//! - terminated `/* ... */` comments vanish (SQL treats them as whitespace, attackers use `/**/` for spaces);
//! - unary operators (`-1`, `+1`, `~1`, `!1`, `NOT x`) vanish when they are in operand position, so `-1 OR -1=-1`
//!   reads like `1 OR 1=1`;
//! - multi-word keywords are merged into one token: `UNION ALL`, `UNION DISTINCT`, `ORDER BY`, `GROUP BY`,
//!   `NOT LIKE`/`NOT IN`/`NOT BETWEEN`/`NOT REGEXP`, `IS NOT`, `SOUNDS LIKE`.
//!
//! Folding is streaming with one token of look-ahead; it never allocates.

use super::lexer::{Kind, Lexer, SqlContext, Token, Word, CLOSED, UNARY};

/// The folding stage over a [`Lexer`].
pub(crate) struct Folder<'a> {
    lex: Lexer<'a>,
    peeked: Option<Token>,
    prev: Option<Kind>,
}

impl<'a> Folder<'a> {
    /// A folder over `input` read in `ctx`.
    pub(crate) fn new(input: &'a [u8], ctx: SqlContext) -> Self {
        Folder {
            lex: Lexer::new(input, ctx),
            peeked: None,
            prev: None,
        }
    }

    /// A folder whose lexer starts at byte `pos` ([`Lexer::resume`]) with no token before it.
    pub(crate) fn resume(input: &'a [u8], pos: usize) -> Self {
        Folder {
            lex: Lexer::resume(input, pos),
            peeked: None,
            prev: None,
        }
    }

    /// One past the last byte the lexer has examined, at most.
    pub(crate) fn examined(&self) -> usize {
        self.lex.examined()
    }

    /// The input contained a MySQL executable comment (`/*!`).
    pub(crate) fn saw_exec_comment(&self) -> bool {
        self.lex.saw_exec_comment
    }

    /// Next raw token, terminated block comments skipped.
    fn raw(&mut self) -> Option<Token> {
        if let Some(t) = self.peeked.take() {
            return Some(t);
        }
        loop {
            let t = self.lex.next_token()?;
            if t.kind == Kind::Comment && t.has(CLOSED) {
                continue;
            }
            return Some(t);
        }
    }

    fn peek(&mut self) -> Option<Token> {
        if self.peeked.is_none() {
            self.peeked = self.raw();
        }
        self.peeked
    }

    /// Consumes the peeked token and returns `t` widened to cover it, with a new class and word.
    fn merge(&mut self, t: Token, kind: Kind, word: Word) -> Token {
        let end = self.peeked.take().map_or(t.end, |n| n.end);
        Token {
            kind,
            word,
            flags: t.flags,
            start: t.start,
            end,
        }
    }

    /// The next folded token, or `None` at the end of the input.
    pub(crate) fn next_token(&mut self) -> Option<Token> {
        loop {
            let mut t = self.raw()?;
            let operand_position = matches!(
                self.prev,
                None | Some(
                    Kind::Logic
                        | Kind::Op
                        | Kind::Cmp
                        | Kind::LParen
                        | Kind::Comma
                        | Kind::Keyword
                        | Kind::Statement
                        | Kind::Union
                        | Kind::Semi
                        | Kind::Comment
                )
            );
            if t.kind == Kind::Op && t.has(UNARY) && operand_position {
                continue;
            }
            let next = self.peek();
            match (t.word, next.map(|n| (n.kind, n.word))) {
                (Word::Not, Some((Kind::Cmp, w))) if w != Word::Is => t = self.merge(t, Kind::Cmp, w),
                (Word::Not, _) if operand_position => continue,
                (Word::Union, Some((_, Word::All))) => t = self.merge(t, Kind::Union, Word::Union),
                (Word::Order, Some((_, Word::By))) => t = self.merge(t, Kind::Keyword, Word::OrderBy),
                (Word::Group, Some((_, Word::By))) => t = self.merge(t, Kind::Keyword, Word::GroupBy),
                (Word::Is, Some((_, Word::Not))) => t = self.merge(t, Kind::Cmp, Word::Is),
                (Word::Sounds, Some((Kind::Cmp, Word::Like))) => t = self.merge(t, Kind::Cmp, Word::Like),
                _ => {}
            }
            self.prev = Some(t.kind);
            return Some(t);
        }
    }
}
