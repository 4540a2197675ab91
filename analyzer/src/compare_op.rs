//! [`CompareOp`]: the comparison operators that filter patterns, X-Ray filter expressions and Logs
//! Insights queries share, and what each one asks of an ordering.

use std::cmp::Ordering;

/// A comparison operator: `=`, `!=`, `<`, `<=`, `>`, `>=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// Whether it orders values (`<`, `<=`, `>`, `>=`) rather than testing equality.
    #[must_use]
    pub fn is_ordering(self) -> bool {
        matches!(self, CompareOp::Lt | CompareOp::Le | CompareOp::Gt | CompareOp::Ge)
    }

    /// Whether `left` compared with `right` as `ordering` satisfies it.
    #[must_use]
    pub fn holds(self, ordering: Ordering) -> bool {
        match self {
            CompareOp::Eq => ordering == Ordering::Equal,
            CompareOp::Ne => ordering != Ordering::Equal,
            CompareOp::Lt => ordering == Ordering::Less,
            CompareOp::Le => ordering != Ordering::Greater,
            CompareOp::Gt => ordering == Ordering::Greater,
            CompareOp::Ge => ordering != Ordering::Less,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operator_asks_what_its_symbol_says() {
        use Ordering::{Equal, Greater, Less};
        let table = [
            (CompareOp::Eq, [false, true, false]),
            (CompareOp::Ne, [true, false, true]),
            (CompareOp::Lt, [true, false, false]),
            (CompareOp::Le, [true, true, false]),
            (CompareOp::Gt, [false, false, true]),
            (CompareOp::Ge, [false, true, true]),
        ];
        for (op, expected) in table {
            let got = [Less, Equal, Greater].map(|o| op.holds(o));
            assert_eq!(got, expected, "{op:?}");
        }
        assert!(!CompareOp::Eq.is_ordering() && !CompareOp::Ne.is_ordering());
        assert!(CompareOp::Le.is_ordering());
    }
}
