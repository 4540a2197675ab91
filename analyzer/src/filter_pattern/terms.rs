//! Term patterns for unstructured messages: `ERROR Exception`, `"exact phrase"`, `?ERROR ?WARN`, `-term`,
//! `%regex%`. Every term is a case-sensitive substring search compiled into a `memmem::Finder`, so matching
//! a message allocates nothing.

use memchr::memmem;
use regex_automata::meta::Regex;

use super::cursor::Cursor;
use super::value::compile_regex;
use super::FilterPatternError;

#[derive(Debug, Clone)]
enum Term {
    Text(Box<memmem::Finder<'static>>),
    Regex(Regex),
}

impl Term {
    fn found_in(&self, message: &str) -> bool {
        match self {
            Term::Text(finder) => finder.find(message.as_bytes()).is_some(),
            Term::Regex(regex) => regex.is_match(message),
        }
    }
}

/// Terms that must all appear and terms that must not.
#[derive(Debug, Clone, Default)]
struct Group {
    include: Vec<Term>,
    exclude: Vec<Term>,
}

impl Group {
    fn matches(&self, message: &str) -> bool {
        self.include.iter().all(|term| term.found_in(message))
            && !self.exclude.iter().any(|term| term.found_in(message))
    }
}

/// A term pattern: a message matches when any group matches (there is one group unless `?` starts more).
#[derive(Debug, Clone)]
pub(super) struct TermPattern {
    groups: Vec<Group>,
}

/// Characters AWS lets a term have without quotes ("Metric filter terms that include characters other than
/// alphanumeric or underscore must be placed inside double quotes").
fn bare_term_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl TermPattern {
    pub(super) fn parse(pattern: &str) -> Result<TermPattern, FilterPatternError> {
        let mut cursor = Cursor::new(pattern);
        let mut groups: Vec<Group> = Vec::new();
        loop {
            cursor.skip_ws();
            if cursor.at_end() {
                break;
            }
            if cursor.eat("?") || groups.is_empty() {
                groups.push(Group::default());
            }
            let exclude = cursor.eat("-");
            if exclude {
                // `"ERROR" - "Exiting"`: the doc's own example puts a space after the minus.
                cursor.skip_ws();
            }
            let start = cursor.pos();
            let term = match cursor.peek() {
                Some('"') => {
                    let phrase = cursor.quoted()?;
                    if phrase.trim().is_empty() {
                        // `" "` (and `""`) is AWS's "match everything" pattern, not a search for a space.
                        continue;
                    }
                    Term::Text(Box::new(memmem::Finder::new(phrase.as_bytes()).into_owned()))
                }
                Some('%') => {
                    let (body, at) = cursor.regex()?;
                    Term::Regex(compile_regex(body, cursor.column(at))?)
                }
                _ => {
                    let word = cursor.take_while(bare_term_char);
                    if word.is_empty() {
                        return Err(cursor.expected_at(
                            start,
                            "a term of letters, digits and _ (put other text in double quotes: \"...\"), \
                             a \"phrase\" or a %regex%",
                        ));
                    }
                    if cursor.peek().is_some_and(|c| !c.is_whitespace()) {
                        return Err(cursor.expected(format!(
                            "a space after {word:?} (terms with characters other than letters, digits and _ \
                             go in double quotes: \"...\")"
                        )));
                    }
                    Term::Text(Box::new(memmem::Finder::new(word.as_bytes()).into_owned()))
                }
            };
            if let Some(group) = groups.last_mut() {
                if exclude {
                    group.exclude.push(term);
                } else {
                    group.include.push(term);
                }
            }
        }
        Ok(TermPattern { groups })
    }

    pub(super) fn matches(&self, message: &str) -> bool {
        self.groups.is_empty() || self.groups.iter().any(|group| group.matches(message))
    }
}
