//! Lines of the keys of a judge configuration (`metrics[2].percentile` -> 14), so that problems found after
//! deserialization still name a line. yaml-rust2's event parser gives a position for every key and value;
//! JSON is YAML flow syntax, so the same index serves `.json` files.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// The 1-based line of every key path of a document.
#[derive(Debug, Default)]
pub struct Lines {
    lines: HashMap<String, usize>,
}

impl Lines {
    /// Indexes `text`; a document that does not parse gives an empty index.
    #[must_use]
    pub fn index(text: &str) -> Lines {
        let mut recorder = Recorder::default();
        if Parser::new_from_str(text).load(&mut recorder, false).is_err() {
            return Lines::default();
        }
        Lines { lines: recorder.lines }
    }

    /// The line of `path` (`a.b[1].c`), or of its nearest ancestor written in the file.
    #[must_use]
    pub fn of(&self, path: &str) -> Option<usize> {
        let mut path = path;
        loop {
            if let Some(line) = self.lines.get(path) {
                return Some(*line);
            }
            if path.is_empty() {
                return None;
            }
            let cut = if path.ends_with(']') {
                path.rfind('[')
            } else {
                path.rfind('.')
            };
            path = &path[..cut.unwrap_or(0)];
        }
    }
}

enum Frame {
    Map { base: usize, expecting_key: bool },
    Seq { base: usize, next: usize },
}

#[derive(Default)]
struct Recorder {
    stack: Vec<Frame>,
    path: String,
    lines: HashMap<String, usize>,
}

impl Recorder {
    /// A value starts: in a sequence, it is the next item.
    fn begin_value(&mut self, mark: Marker) {
        if let Some(Frame::Seq { base, next }) = self.stack.last_mut() {
            self.path.truncate(*base);
            self.path.push_str(&format!("[{next}]"));
            *next += 1;
            self.lines.entry(self.path.clone()).or_insert(mark.line());
        }
    }

    /// A value ended: back to the container's path; a map expects its next key.
    fn end_value(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { base, expecting_key }) => {
                self.path.truncate(*base);
                *expecting_key = true;
            }
            Some(Frame::Seq { base, .. }) => self.path.truncate(*base),
            None => {}
        }
    }
}

impl MarkedEventReceiver for Recorder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(text, ..) => {
                if let Some(Frame::Map { base, expecting_key }) = self.stack.last_mut() {
                    if *expecting_key {
                        *expecting_key = false;
                        self.path.truncate(*base);
                        if !self.path.is_empty() {
                            self.path.push('.');
                        }
                        self.path.push_str(&text);
                        self.lines.entry(self.path.clone()).or_insert(mark.line());
                        return;
                    }
                }
                self.begin_value(mark);
                self.end_value();
            }
            Event::Alias(_) => {
                self.begin_value(mark);
                self.end_value();
            }
            Event::MappingStart(..) => {
                self.begin_value(mark);
                self.stack.push(Frame::Map {
                    base: self.path.len(),
                    expecting_key: true,
                });
            }
            Event::SequenceStart(..) => {
                self.begin_value(mark);
                self.stack.push(Frame::Seq {
                    base: self.path.len(),
                    next: 0,
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.end_value();
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_items_have_their_lines() {
        let text =
            "confidence: 0.9\nthresholds:\n  pass: 90\nmetrics:\n  - name: a\n    kind: percentile\n  - {name: b, \
                    kind: status_rate}\ngroups: {errors: 10}\n";
        let lines = Lines::index(text);
        assert_eq!(lines.of("confidence"), Some(1));
        assert_eq!(lines.of("thresholds.pass"), Some(3));
        assert_eq!(
            lines.of("thresholds.marginal"),
            Some(2),
            "a missing key falls back to its parent"
        );
        assert_eq!(lines.of("metrics[0].kind"), Some(6));
        assert_eq!(lines.of("metrics[1].kind"), Some(7));
        assert_eq!(lines.of("metrics[1].percentile"), Some(7));
        assert_eq!(lines.of("groups.errors"), Some(8));
        assert_eq!(lines.of("bucket_requests"), None);
        assert_eq!(
            Lines::index("{\"confidence\": 2}").of("confidence"),
            Some(1),
            "JSON too"
        );
    }
}
