//! What `fuse_or` fuses: adjacent string and regex predicates of one slot and oversize handling, never across
//! a member with effects (SQLi / XSS details, GeoMatch labels). The verdicts themselves are checked against the
//! reference evaluator by `tests/differential.rs` (`tests/cases/fused_or.yaml`) and `tests/engine_props.rs`.

use super::*;

fn pred(kind: PredKind) -> Pred {
    Pred {
        kind,
        oversize: OversizeHandling::Continue,
    }
}

fn contains(slot: u32, ac: u32) -> PredKind {
    PredKind::Bytes {
        slot,
        pc: PositionalConstraint::Contains,
        needle: Box::from(&b"x"[..]),
        ac,
    }
}

/// A readable shape of a fused list: `P<id>` for a predicate, `Any(slot:strings/regexes)` for a fused node.
fn shape(list: &[Expr]) -> Vec<String> {
    list.iter()
        .map(|e| match e {
            Expr::Pred(id) => format!("P{id}"),
            Expr::AnyOf(a) => format!("Any({}:{:?}/{:?})", a.slot, a.strings, a.regexes),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn adjacent_strings_and_regexes_of_one_slot_fuse() {
    let preds = vec![
        pred(contains(0, 0)),
        pred(PredKind::Regex {
            slot: 0,
            patterns: Box::from(&[1u32, 2][..]),
        }),
        pred(contains(1, 0)),
        pred(PredKind::Bytes {
            slot: 0,
            pc: PositionalConstraint::ContainsWord,
            needle: Box::from(&b"y"[..]),
            ac: 3,
        }),
        pred(PredKind::Bytes {
            slot: 0,
            pc: PositionalConstraint::Exactly,
            needle: Box::from(&b"z"[..]),
            ac: 0,
        }),
    ];
    let list = (0..5).map(Expr::Pred).collect();
    assert_eq!(
        shape(&fuse_or(&preds, list)),
        ["Any(0:[(0, false), (3, true)]/[1, 2])", "P2", "P4"]
    );
}

#[test]
fn nothing_fuses_across_sqli_xss_or_geo() {
    let preds = vec![
        pred(contains(0, 0)),
        pred(PredKind::Xss { slot: 0 }),
        pred(contains(0, 1)),
        pred(PredKind::Sqli { slot: 0, high: false }),
        pred(contains(0, 2)),
        pred(contains(0, 3)),
    ];
    let list = (0..6).map(Expr::Pred).collect();
    assert_eq!(
        shape(&fuse_or(&preds, list)),
        ["P0", "P1", "P2", "P3", "Any(0:[(2, false), (3, false)]/[])"]
    );
    // An And holding an XSS predicate has effects too.
    let list = vec![
        Expr::Pred(0),
        Expr::And(Box::from([Expr::Pred(1), Expr::Const(true)])),
        Expr::Pred(2),
    ];
    assert_eq!(
        shape(&fuse_or(&preds, list))[..2],
        ["P0".to_owned(), "And([Pred(1), Const(true)])".to_owned()]
    );
}

#[test]
fn different_oversize_handling_does_not_fuse() {
    let mut preds = vec![pred(contains(0, 0)), pred(contains(0, 1)), pred(contains(0, 2))];
    preds[1].oversize = OversizeHandling::Match;
    let list = (0..3).map(Expr::Pred).collect();
    assert_eq!(
        shape(&fuse_or(&preds, list)),
        ["Any(0:[(0, false), (2, false)]/[])", "P1"]
    );
}
