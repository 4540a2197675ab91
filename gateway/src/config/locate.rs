//! Maps field paths (`apis[0].stages.prod.canary.percent`) to the line they are written on, so that errors
//! found after deserialisation (semantic checks) still point at a line of the file.
//!
//! YAML and JSON are both read with yaml-rust2's event parser (JSON is YAML flow syntax), which reports a
//! position for every key and value.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Line numbers (1-based) of every key path in a document.
#[derive(Debug, Default)]
pub struct LineIndex {
    lines: HashMap<String, usize>,
}

impl LineIndex {
    /// Indexes `text`; a document that does not parse yields an empty index (its syntax error is reported by
    /// the deserialiser instead).
    #[must_use]
    pub fn build(text: &str) -> LineIndex {
        let mut recorder = Recorder::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut recorder, false).is_err() {
            return LineIndex::default();
        }
        LineIndex { lines: recorder.lines }
    }

    /// The line of `path`, or of its nearest ancestor that was written in the file.
    #[must_use]
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut candidate = path;
        loop {
            if let Some(line) = self.lines.get(candidate) {
                return Some(*line);
            }
            candidate = parent_path(candidate)?;
        }
    }
}

/// `a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> None.
fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']') {
        let open = path.rfind('[')?;
        return Some(&path[..open]);
    }
    Some(path.rfind('.').map_or("", |dot| &path[..dot]))
}

/// Appends a map key to a path, quoting keys that are not plain identifiers (`routes["GET /x"]`).
pub fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'$');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push_str("[\"");
        path.push_str(&key.replace('"', "\\\""));
        path.push_str("\"]");
    }
}

/// Appends a sequence index to a path.
pub fn push_index(path: &mut String, index: usize) {
    path.push('[');
    path.push_str(&index.to_string());
    path.push(']');
}

enum Frame {
    Map { path_len: usize, awaiting_key: bool },
    Seq { path_len: usize, next: usize },
}

#[derive(Default)]
struct Recorder {
    stack: Vec<Frame>,
    path: String,
    lines: HashMap<String, usize>,
}

impl Recorder {
    /// Called before a value (scalar or container) of the current frame starts.
    fn enter_value(&mut self, mark: Marker) {
        if let Some(Frame::Seq { path_len, next }) = self.stack.last_mut() {
            self.path.truncate(*path_len);
            push_index(&mut self.path, *next);
            *next += 1;
            self.lines.entry(self.path.clone()).or_insert(mark.line());
        }
    }

    /// Called after a value of the current frame ends.
    fn leave_value(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { path_len, awaiting_key }) => {
                self.path.truncate(*path_len);
                *awaiting_key = true;
            }
            Some(Frame::Seq { path_len, .. }) => self.path.truncate(*path_len),
            None => {}
        }
    }
}

impl MarkedEventReceiver for Recorder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(text, ..) => {
                if let Some(Frame::Map { path_len, awaiting_key }) = self.stack.last_mut() {
                    if *awaiting_key {
                        *awaiting_key = false;
                        self.path.truncate(*path_len);
                        push_key(&mut self.path, &text);
                        self.lines.entry(self.path.clone()).or_insert(mark.line());
                        return;
                    }
                }
                self.enter_value(mark);
                self.leave_value();
            }
            Event::Alias(_) => {
                self.enter_value(mark);
                self.leave_value();
            }
            Event::MappingStart(..) => {
                self.enter_value(mark);
                self.stack.push(Frame::Map {
                    path_len: self.path.len(),
                    awaiting_key: true,
                });
            }
            Event::SequenceStart(..) => {
                self.enter_value(mark);
                self.stack.push(Frame::Seq {
                    path_len: self.path.len(),
                    next: 0,
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.leave_value();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_paths_have_lines() {
        let text = "listen: x\napis:\n  - name: shop\n    routes:\n      \"GET /p/{id}\":\n        integration:\n          type: mock\n    stages:\n      prod:\n        canary: {percent: 150}\n";
        let index = LineIndex::build(text);
        assert_eq!(index.line_of("listen"), Some(1));
        assert_eq!(index.line_of("apis[0].name"), Some(3));
        assert_eq!(
            index.line_of("apis[0].routes[\"GET /p/{id}\"].integration.type"),
            Some(7)
        );
        assert_eq!(index.line_of("apis[0].stages.prod.canary.percent"), Some(10));
        assert_eq!(index.line_of("apis[0].stages.prod.canary.nothing"), Some(10));
    }

    #[test]
    fn json_paths_have_lines() {
        let text = "{\n  \"apis\": [\n    {\"name\": \"a\"},\n    {\n      \"name\": \"b\"\n    }\n  ]\n}\n";
        let index = LineIndex::build(text);
        assert_eq!(index.line_of("apis[1].name"), Some(5));
        assert_eq!(index.line_of("apis[0].name"), Some(3));
    }
}
