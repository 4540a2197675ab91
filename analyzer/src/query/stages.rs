//! Per-row commands (`filter`, `fields`/`display`, `parse`, `unnest`), applied in place to a row of slots. They
//! run in the workers on rows borrowing from the input chunk, and again after a barrier on owned rows.

use std::borrow::Cow;

use super::plan::{ParseKind, Stage};
use super::scan::from_json;
use super::value::Val;

/// Where rows go after the per-row commands.
pub trait RowSink {
    /// Takes one row; `false` asks the producer to stop (a `limit` was reached or output failed).
    fn accept<'a>(&mut self, row: &mut Vec<Val<'a>>) -> bool;
}

/// Runs `stages` (none of them a barrier) over `row`, handing every resulting row to `sink`.
pub fn run_stages<'a, S: RowSink>(stages: &[Stage], row: &mut Vec<Val<'a>>, sink: &mut S) -> bool {
    let Some((stage, rest)) = stages.split_first() else {
        return sink.accept(row);
    };
    match stage {
        Stage::Filter(e) => !e.test(row) || run_stages(rest, row, sink),
        Stage::Assign(list) => {
            if let [(e, slot)] = list.as_slice() {
                row[*slot] = e.eval(row);
            } else {
                let values: Vec<Val<'a>> = list.iter().map(|(e, _)| e.eval(row)).collect();
                for ((_, slot), v) in list.iter().zip(values) {
                    row[*slot] = v;
                }
            }
            run_stages(rest, row, sink)
        }
        Stage::Parse { source, kind } => {
            let value = row[*source].clone();
            apply_parse(kind, value, row);
            run_stages(rest, row, sink)
        }
        Stage::Unnest {
            source,
            into,
            subfields,
        } => {
            let items = unnest_items(&row[*source]);
            for item in items {
                let mut copy = row.clone();
                if let serde_json::Value::Object(_) = &item {
                    if let Some(record) = crate::record::Record::parse_json(&item.to_string()) {
                        for (name, slot) in subfields {
                            copy[*slot] = record.get(name).map_or(Val::Null, from_json);
                        }
                    }
                }
                copy[*into] = from_json(&item);
                if !run_stages(rest, &mut copy, sink) {
                    return false;
                }
            }
            true
        }
        Stage::Stats(_) | Stage::Sort(_) | Stage::Limit(_) | Stage::Dedup { .. } => sink.accept(row),
    }
}

/// The items `unnest` makes of a value: a JSON array's elements; any other non-null value is a one-item list
/// (page "unnest").
fn unnest_items(value: &Val<'_>) -> Vec<serde_json::Value> {
    match value {
        Val::Null => Vec::new(),
        Val::Str(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(serde_json::Value::Array(items)) => items,
            Ok(other @ serde_json::Value::Object(_)) => vec![other],
            _ => vec![serde_json::Value::String(s.to_string())],
        },
        Val::Num(n) => {
            vec![serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, serde_json::Value::Number)]
        }
        Val::Bool(b) => vec![serde_json::Value::Bool(*b)],
        Val::Time(t) => vec![serde_json::Value::from(*t)],
    }
}

fn apply_parse<'a>(kind: &ParseKind, value: Val<'a>, row: &mut [Val<'a>]) {
    let slots: Vec<usize> = match kind {
        ParseKind::Glob(_, slots) => slots.clone(),
        ParseKind::Regex(_, slots) => slots.iter().map(|(_, s)| *s).collect(),
    };
    for slot in &slots {
        row[*slot] = Val::Null;
    }
    match value {
        Val::Str(Cow::Borrowed(text)) => {
            for (slot, (start, end)) in extract(kind, text) {
                row[slot] = Val::str(&text[start..end]);
            }
        }
        Val::Null => {}
        other => {
            let text = other.render().into_owned();
            for (slot, (start, end)) in extract(kind, &text) {
                row[slot] = Val::Str(Cow::Owned(text[start..end].to_owned()));
            }
        }
    }
}

/// The `(slot, byte range)` of each extracted field; nothing when the pattern does not match (the row is kept
/// without the fields, page "parse").
fn extract(kind: &ParseKind, text: &str) -> Vec<(usize, (usize, usize))> {
    match kind {
        ParseKind::Glob(pieces, slots) => {
            glob(pieces, text).map_or_else(Vec::new, |spans| slots.iter().copied().zip(spans).collect())
        }
        ParseKind::Regex(re, slots) => {
            let mut caps = re.create_captures();
            re.captures(text, &mut caps);
            if !caps.is_match() {
                return Vec::new();
            }
            slots
                .iter()
                .filter_map(|(group, slot)| caps.get_group(*group).map(|span| (*slot, (span.start, span.end))))
                .collect()
        }
    }
}

/// Matches a glob split at its `*`s: the first literal is searched anywhere, each `*` takes the shortest text up
/// to the next literal, a trailing `*` takes the rest.
fn glob(pieces: &[String], text: &str) -> Option<Vec<(usize, usize)>> {
    let (first, rest) = pieces.split_first()?;
    let mut pos = if first.is_empty() {
        0
    } else {
        text.find(first.as_str())? + first.len()
    };
    let mut spans = Vec::with_capacity(rest.len());
    for (i, lit) in rest.iter().enumerate() {
        if lit.is_empty() {
            if i + 1 == rest.len() {
                spans.push((pos, text.len()));
                pos = text.len();
            } else {
                spans.push((pos, pos));
            }
        } else {
            let at = text[pos..].find(lit.as_str())?;
            spans.push((pos, pos + at));
            pos += at + lit.len();
        }
    }
    Some(spans)
}
