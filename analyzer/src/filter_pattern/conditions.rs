//! The boolean layer JSON and space-delimited patterns share: conditions joined by `&&` (binding tighter)
//! and `||`, grouped by parentheses nested at most [`MAX_NESTING`] deep. Each pattern kind says what one
//! condition is ([`Conditions::leaf`]) and how its nodes combine.

use super::cursor::Cursor;
use super::{FilterPatternError, MAX_NESTING};

/// A parser of conditions of one pattern kind.
pub(super) trait Conditions<'a> {
    /// A parsed condition or combination of conditions.
    type Node;

    /// Where the parser is in the pattern.
    fn cursor(&mut self) -> &mut Cursor<'a>;
    /// How many parentheses are open.
    fn depth(&mut self) -> &mut usize;
    /// One condition outside parentheses (whitespace before it already skipped).
    fn leaf(&mut self) -> Result<Self::Node, FilterPatternError>;
    /// Conditions of which any must hold (`||`), two or more.
    fn any_of(items: Vec<Self::Node>) -> Self::Node;
    /// Conditions that must all hold (`&&`), two or more.
    fn all_of(items: Vec<Self::Node>) -> Self::Node;

    /// `a || b || ...`, the loosest level.
    fn or(&mut self) -> Result<Self::Node, FilterPatternError> {
        self.joined("||", Self::and, Self::any_of)
    }

    /// `a && b && ...`.
    fn and(&mut self) -> Result<Self::Node, FilterPatternError> {
        self.joined("&&", Self::primary, Self::all_of)
    }

    /// `item (op item)*`: one item stands alone, more are joined with `join`.
    fn joined(
        &mut self,
        op: &str,
        item: fn(&mut Self) -> Result<Self::Node, FilterPatternError>,
        join: fn(Vec<Self::Node>) -> Self::Node,
    ) -> Result<Self::Node, FilterPatternError> {
        let mut items = vec![item(self)?];
        loop {
            self.cursor().skip_ws();
            if !self.cursor().eat(op) {
                break;
            }
            items.push(item(self)?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { join(items) })
    }

    /// A parenthesized group or one condition.
    fn primary(&mut self) -> Result<Self::Node, FilterPatternError> {
        self.cursor().skip_ws();
        let open = self.cursor().pos();
        if !self.cursor().eat("(") {
            return self.leaf();
        }
        *self.depth() += 1;
        if *self.depth() > MAX_NESTING {
            let expected = format!("at most {MAX_NESTING} nested parentheses");
            return Err(self.cursor().expected_at(open, expected));
        }
        let inner = self.or()?;
        *self.depth() -= 1;
        self.cursor().skip_ws();
        if !self.cursor().eat(")") {
            return Err(self.cursor().expected("'&&', '||' or ')'"));
        }
        Ok(inner)
    }
}
