//! NORMALIZE_PATH and NORMALIZE_PATH_WIN: path clean-up without allocating (the output buffer is the segment
//! stack).

/// NORMALIZE_PATH / `t:normalizePath` (ModSecurity also spells it `normalisePath`).
///
/// Splits on `/` and rebuilds: empty segments (`//`) and self-references (`.`) are dropped; a back-reference
/// (`..`) removes the segment before it. A back-reference with nothing left to remove is kept when the path is
/// relative (`../a` stays, `a/../../b` gives `../b`) and dropped when it is absolute (`/../etc` gives `/etc`):
/// only back-references at the beginning survive, as AWS describes. A leading `/` is kept; a trailing `/` is kept
/// only if the input had one and something remains. `.`, `./` and `a/..` normalise to the empty string.
pub(crate) fn normalize_path(input: &[u8], out: &mut Vec<u8>) {
    normalize(input, out, false);
}

/// NORMALIZE_PATH_WIN / `t:normalizePathWin`: [`normalize_path`] after turning every `\` into `/`.
pub(crate) fn normalize_path_win(input: &[u8], out: &mut Vec<u8>) {
    normalize(input, out, true);
}

fn normalize(input: &[u8], out: &mut Vec<u8>, win: bool) {
    let is_sep = |b: &u8| *b == b'/' || (win && *b == b'\\');
    let (Some(first), Some(last)) = (input.first(), input.last()) else {
        return;
    };
    let absolute = is_sep(first);
    let trailing = is_sep(last);
    out.reserve(input.len());
    if absolute {
        out.push(b'/');
    }
    let root = out.len();
    for seg in input.split(is_sep) {
        match seg {
            b"" | b"." => {}
            b".." => {
                // The last segment written is everything after the last '/' past the root.
                let last_start = memchr::memrchr(b'/', &out[root..]).map_or(root, |p| root + p + 1);
                let has_last = out.len() > root;
                if has_last && &out[last_start..] != b".." {
                    // Pop it, along with the '/' that joined it to the one before.
                    out.truncate(last_start.saturating_sub(1).max(root));
                } else if !absolute {
                    push_segment(out, root, b"..");
                }
            }
            _ => push_segment(out, root, seg),
        }
    }
    if trailing && out.len() > root {
        out.push(b'/');
    }
}

#[inline]
fn push_segment(out: &mut Vec<u8>, root: usize, seg: &[u8]) {
    if out.len() > root {
        out.push(b'/');
    }
    out.extend_from_slice(seg);
}
