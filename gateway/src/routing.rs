//! Route keys and route selection, as API Gateway resolves them.
//!
//! A route key is `METHOD /path` (`GET /products/{id}`, `ANY /orders/{proxy+}`) or `$default`. When several
//! routes match a request, the most specific one wins, segment by segment from the left: a literal segment
//! beats a `{param}`, which beats a greedy `{proxy+}`; for equal paths a method-specific route beats `ANY`;
//! `$default` serves only what nothing else matches. Matching allocates nothing: parameters come back as
//! byte ranges into the request path.

use http::Method;

/// Most parameters a route may declare (API Gateway's own limit on a path is far lower in practice).
pub const MAX_PARAMS: usize = 16;

/// One segment of a route path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Matches exactly this text.
    Literal(String),
    /// `{name}`: matches one non-empty segment.
    Param(String),
    /// `{name+}`: matches one or more segments (the rest of the path); only last.
    Greedy(String),
}

/// A parsed route key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteKey {
    /// `None` for `ANY`.
    pub method: Option<Method>,
    /// The path's segments; empty for `/` and for `$default`.
    pub segments: Vec<Segment>,
    /// Whether this is the `$default` route.
    pub is_default: bool,
    /// The path as written (`/products/{id}`), or `$default`.
    pub resource_path: String,
}

/// Why a route key is invalid.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RouteKeyError {
    /// Not `METHOD /path` or `$default`.
    #[error("a route key is `METHOD /path` (e.g. `GET /products/{{id}}`, `ANY /{{proxy+}}`) or `$default`")]
    Shape,
    /// Unknown method.
    #[error("unknown method `{0}`: use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY")]
    Method(String),
    /// Bad `{...}` segment.
    #[error("segment `{0}`: a parameter is a whole segment `{{name}}` or `{{name+}}` with a name of letters, digits, `_` or `-`")]
    Param(String),
    /// Greedy segment not last.
    #[error("a greedy parameter `{{name+}}` must be the last segment")]
    GreedyNotLast,
    /// Same parameter twice.
    #[error("parameter `{0}` appears twice")]
    DuplicateParam(String),
    /// Too many parameters.
    #[error("more than {MAX_PARAMS} parameters")]
    TooManyParams,
    /// Empty segment (`//`).
    #[error("empty path segment (`//`)")]
    EmptySegment,
}

impl RouteKey {
    /// Parses a route key.
    ///
    /// # Errors
    /// A [`RouteKeyError`] saying what a route key may look like.
    pub fn parse(key: &str) -> Result<RouteKey, RouteKeyError> {
        if key == "$default" {
            return Ok(RouteKey {
                method: None,
                segments: Vec::new(),
                is_default: true,
                resource_path: "$default".to_owned(),
            });
        }
        let (method, path) = key.split_once(' ').ok_or(RouteKeyError::Shape)?;
        if !path.starts_with('/') || path.contains(' ') {
            return Err(RouteKeyError::Shape);
        }
        let method = match method {
            "ANY" => None,
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => {
                Some(Method::from_bytes(method.as_bytes()).map_err(|_| RouteKeyError::Method(method.to_owned()))?)
            }
            other => return Err(RouteKeyError::Method(other.to_owned())),
        };
        let mut segments = Vec::new();
        let trimmed = path.strip_prefix('/').unwrap_or(path);
        if !trimmed.is_empty() {
            for raw in trimmed.split('/') {
                if raw.is_empty() {
                    return Err(RouteKeyError::EmptySegment);
                }
                if matches!(segments.last(), Some(Segment::Greedy(_))) {
                    return Err(RouteKeyError::GreedyNotLast);
                }
                segments.push(parse_segment(raw)?);
            }
        }
        let mut names: Vec<&str> = Vec::new();
        for segment in &segments {
            if let Segment::Param(name) | Segment::Greedy(name) = segment {
                if names.contains(&name.as_str()) {
                    return Err(RouteKeyError::DuplicateParam(name.clone()));
                }
                names.push(name);
            }
        }
        if names.len() > MAX_PARAMS {
            return Err(RouteKeyError::TooManyParams);
        }
        Ok(RouteKey {
            method,
            segments,
            is_default: false,
            resource_path: path.to_owned(),
        })
    }

    /// Names of the path parameters, in path order.
    pub fn param_names(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Param(name) | Segment::Greedy(name) => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }
}

fn parse_segment(raw: &str) -> Result<Segment, RouteKeyError> {
    if !raw.contains('{') && !raw.contains('}') {
        return Ok(Segment::Literal(raw.to_owned()));
    }
    let inner = raw
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or_else(|| RouteKeyError::Param(raw.to_owned()))?;
    let (name, greedy) = match inner.strip_suffix('+') {
        Some(name) => (name, true),
        None => (inner, false),
    };
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        return Err(RouteKeyError::Param(raw.to_owned()));
    }
    Ok(if greedy {
        Segment::Greedy(name.to_owned())
    } else {
        Segment::Param(name.to_owned())
    })
}

/// Byte ranges of the matched parameters, in the route's parameter order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Params {
    ranges: [(u32, u32); MAX_PARAMS],
    len: usize,
}

impl Params {
    fn push(&mut self, start: usize, end: usize) {
        if self.len < MAX_PARAMS {
            #[allow(clippy::cast_possible_truncation)]
            {
                self.ranges[self.len] = (start as u32, end as u32);
            }
            self.len += 1;
        }
    }

    /// The value of parameter `index` within `path` (the string that was matched).
    #[must_use]
    pub fn get<'p>(&self, path: &'p str, index: usize) -> &'p str {
        if index >= self.len {
            return "";
        }
        let (start, end) = self.ranges[index];
        path.get(start as usize..end as usize).unwrap_or("")
    }

    /// Number of parameters matched.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no parameter matched.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A match: the route's index in the table and its parameters.
#[derive(Debug, Clone, Copy)]
pub struct RouteMatch {
    /// Index into the table's routes.
    pub route: usize,
    /// Parameter values as ranges into the matched path.
    pub params: Params,
}

/// A set of routes, searched in precedence order.
#[derive(Debug, Clone, Default)]
pub struct RouteTable<T> {
    keys: Vec<RouteKey>,
    values: Vec<T>,
    default_route: Option<usize>,
}

/// Specificity of one match: compared lexicographically, higher wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    /// Per segment from the left: 3 literal, 2 param, 1 greedy; packed two bits a segment.
    shape: u128,
    /// Segments matched before any greedy segment.
    depth: u32,
    /// 1 for a method-specific route, 0 for ANY.
    method: u8,
}

impl<T> RouteTable<T> {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        RouteTable {
            keys: Vec::new(),
            values: Vec::new(),
            default_route: None,
        }
    }

    /// Adds a route; returns false if an identical key is already present.
    pub fn insert(&mut self, key: RouteKey, value: T) -> bool {
        if self.keys.contains(&key) {
            return false;
        }
        if key.is_default {
            self.default_route = Some(self.keys.len());
        }
        self.keys.push(key);
        self.values.push(value);
        true
    }

    /// The route at `index`.
    #[must_use]
    pub fn value(&self, index: usize) -> &T {
        &self.values[index]
    }

    /// The key of the route at `index`.
    #[must_use]
    pub fn key(&self, index: usize) -> &RouteKey {
        &self.keys[index]
    }

    /// Number of routes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the table has no routes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Iterates over keys and values.
    pub fn iter(&self) -> impl Iterator<Item = (&RouteKey, &T)> {
        self.keys.iter().zip(self.values.iter())
    }

    /// Finds the most specific route for `method` and `path` (which starts with `/`, no query string).
    #[must_use]
    pub fn find(&self, method: &Method, path: &str) -> Option<RouteMatch> {
        let mut best: Option<(Rank, RouteMatch)> = None;
        for (index, key) in self.keys.iter().enumerate() {
            if key.is_default {
                continue;
            }
            if let Some(wanted) = &key.method {
                if wanted != method {
                    continue;
                }
            }
            if let Some((mut rank, params)) = match_path(&key.segments, path) {
                rank.method = u8::from(key.method.is_some());
                if best.as_ref().is_none_or(|(best_rank, _)| rank > *best_rank) {
                    best = Some((rank, RouteMatch { route: index, params }));
                }
            }
        }
        best.map(|(_, found)| found).or_else(|| {
            self.default_route.map(|route| RouteMatch {
                route,
                params: Params::default(),
            })
        })
    }
}

fn match_path(segments: &[Segment], path: &str) -> Option<(Rank, Params)> {
    let mut params = Params::default();
    let mut shape: u128 = 0;
    let mut depth = 0u32;
    let body = path.strip_prefix('/')?;
    // One trailing slash does not make another segment: `/a/` matches `/a`.
    let mut rest = body.strip_suffix('/').unwrap_or(body);
    // Offset of `rest` within `path`.
    let mut offset = 1usize;
    for (position, segment) in segments.iter().enumerate() {
        let slot = 126 - 2 * position.min(62);
        if let Segment::Greedy(_) = segment {
            if rest.is_empty() {
                return None;
            }
            params.push(offset, path.len());
            shape |= 1u128 << slot;
            return Some((
                Rank {
                    shape,
                    depth,
                    method: 0,
                },
                params,
            ));
        }
        let (piece, remaining, consumed) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash + 1..], slash + 1),
            None => (rest, "", rest.len()),
        };
        if piece.is_empty() || (remaining.is_empty() && consumed > piece.len()) {
            return None;
        }
        match segment {
            Segment::Literal(text) if text != piece => return None,
            Segment::Param(_) => params.push(offset, offset + piece.len()),
            _ => {}
        }
        let weight: u128 = if matches!(segment, Segment::Literal(_)) { 3 } else { 2 };
        shape |= weight << slot;
        depth += 1;
        offset += consumed;
        rest = remaining;
    }
    rest.is_empty().then_some((
        Rank {
            shape,
            depth,
            method: 0,
        },
        params,
    ))
}

#[cfg(test)]
mod tests;
