//! AWS WAF v2 text transformations (`TextTransformations`), byte for byte.
//!
//! Each of the 31 `TextTransformation` types of today's AWS API model is a [`TransformationType`];
//! [`TransformationType::apply`] runs one over arbitrary bytes (request data is not necessarily UTF-8) and appends
//! the result to a caller-owned buffer. A rule's ordered list is a [`Chain`], evaluated with two reusable scratch
//! buffers ([`Scratch`]) so that steady-state evaluation allocates nothing and steps that would not change their
//! input are skipped without copying.
//!
//! Semantics follow the AWS WAF developer guide ("Text transformation options"). Most types are the ModSecurity
//! v3 `t:` functions of the same purpose, so this module also serves a SecLang front-end:
//! [`TransformationType::modsecurity_name`] and [`TransformationType::from_modsecurity_name`] map between the two,
//! and each type's documentation names its ModSecurity counterpart and every deliberate difference.
//! `docs/waf-transformations.md` has the full table.
//!
//! No transformation panics, whatever the input; all work in one linear pass (NORMALIZE_PATH looks back over its
//! own output for `..`).
//!
//! ```
//! use moat_waf::transform::{Chain, Scratch, TransformationType};
//!
//! // A rule's TextTransformations, as (Priority, Type) pairs from the WebACL JSON.
//! let chain = Chain::from_aws_names([(2, "LOWERCASE"), (0, "URL_DECODE_UNI"), (1, "HTML_ENTITY_DECODE")])?;
//! let mut scratch = Scratch::new(); // one per worker; reused across fields and requests
//! assert_eq!(chain.apply(b"%3CScRiPt&gt;%uFF41", &mut scratch), b"<script>a");
//!
//! // One transformation on its own appends to a caller-owned buffer.
//! let mut out = Vec::new();
//! TransformationType::CmdLine.apply(b"C^MD.EXE /C \"DIR\"", &mut out);
//! assert_eq!(out, b"cmd.exe/c dir");
//! # Ok::<(), moat_waf::transform::ChainError>(())
//! ```

mod binary;
mod chain;
mod escapes;
mod html;
mod path;
mod tables;
mod text;
mod url;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

pub use chain::{Chain, ChainError, Scratch, TextTransformation};

/// The AWS name given was not one of the 31 `TextTransformation` types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown text transformation type {0:?}")]
pub struct UnknownTransformation(pub String);

macro_rules! transformation_types {
    ($( $(#[$doc:meta])* $variant:ident => $aws:literal, $modsec:expr; )*) => {
        /// One AWS WAF v2 text transformation type, named as in the AWS API (`TextTransformation.Type`).
        ///
        /// Variant order is the API model's; [`Self::ALL`] lists them in that order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum TransformationType {
            $( $(#[$doc])* $variant, )*
        }

        impl TransformationType {
            /// Every type, in the order of the AWS API model's `TextTransformationType` enumeration.
            pub const ALL: [Self; 31] = [$( Self::$variant, )*];

            /// The AWS API name (`"URL_DECODE_UNI"`).
            pub fn aws_name(self) -> &'static str {
                match self {
                    $( Self::$variant => $aws, )*
                }
            }

            /// Parses an AWS API name; exact and case-sensitive, as the AWS API is.
            pub fn from_aws_name(name: &str) -> Option<Self> {
                match name {
                    $( $aws => Some(Self::$variant), )*
                    _ => None,
                }
            }

            /// The ModSecurity v3 `t:` action this type corresponds to (`"urlDecodeUni"`), or `None` for the AWS-only
            /// types (CMD_LINE_WIN, CMD_LINE_UNIX, JS_DECODE_EXT, SHA256).
            pub fn modsecurity_name(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => $modsec, )*
                }
            }
        }
    };
}

transformation_types! {
    /// No transformation: the value is inspected as received. ModSecurity `t:none` (which in SecLang also clears
    /// inherited transformations; here it is simply the identity).
    None => "NONE", Some("none");
    /// Each run of space, `\t`, `\n`, `\v`, `\f`, `\r` and the byte 0xA0 (non-breaking space, decimal 160)
    /// becomes one space. ModSecurity `t:compressWhitespace`, which does not treat 0xA0 as whitespace.
    CompressWhiteSpace => "COMPRESS_WHITE_SPACE", Some("compressWhitespace");
    /// Decodes HTML character references: `&#xHHHH;`, `&#DDDD;` (`;` optional) and named entities (`&quot;`,
    /// `&amp;`, `&lt;`, `&gt;`, `&nbsp;` -> 0xA0, and AWS's ASCII-punctuation table), case-insensitively.
    /// ModSecurity `t:htmlEntityDecode`; differences: numeric references are not cut to one byte (values above
    /// 0xFF become UTF-8), more named entities, and `&ltfoo` decodes only the `&lt` instead of swallowing `foo`.
    HtmlEntityDecode => "HTML_ENTITY_DECODE", Some("htmlEntityDecode");
    /// ASCII `A-Z` to `a-z`. ModSecurity `t:lowercase` (C locale): identical.
    Lowercase => "LOWERCASE", Some("lowercase");
    /// Command-line normalisation: deletes `\ " ' ^`, turns `,` `;` (and space, `\t`, `\r`, `\n`) into one space
    /// per run, deletes a space before `/` or `(`, lower-cases ASCII. ModSecurity `t:cmdLine`: identical.
    CmdLine => "CMD_LINE", Some("cmdLine");
    /// `%XX` to the byte, `+` to space; invalid or truncated `%` escapes are left as written. ModSecurity
    /// `t:urlDecode` (non-strict): identical.
    UrlDecode => "URL_DECODE", Some("urlDecode");
    /// Standard Base64; skips `\r`/`\n`, stops at `=` or the first byte outside the alphabet and keeps what
    /// decoded before it; missing padding is fine. ModSecurity `t:base64Decode` returns nothing for invalid input
    /// instead; this follows Coraza's partial decoding so junk appended to a payload cannot hide it.
    Base64Decode => "BASE64_DECODE", Some("base64Decode");
    /// Hex pairs to bytes; a byte that does not start a hex pair (non-hex, final odd digit) is copied unchanged.
    /// ModSecurity `t:hexDecode` decodes non-hex pairs into arbitrary bytes and drops an odd final digit.
    HexDecode => "HEX_DECODE", Some("hexDecode");
    /// The raw 16-byte MD5 digest. ModSecurity `t:md5`: identical.
    Md5 => "MD5", Some("md5");
    /// Each `/* ... */` comment becomes one space (unterminated ones too); a lone `*/` stays. ModSecurity
    /// `t:replaceComments`: identical.
    ReplaceComments => "REPLACE_COMMENTS", Some("replaceComments");
    /// ANSI C escapes `\a \b \f \n \r \t \v \\ \? \' \"`, `\xHH`, `\OOO`; invalid escapes stay as written (AWS).
    /// ModSecurity `t:escapeSeqDecode` drops the backslash of an unrecognised escape instead.
    EscapeSeqDecode => "ESCAPE_SEQ_DECODE", Some("escapeSeqDecode");
    /// SQL hex literals `0x414243` to their bytes (`ABC`). ModSecurity `t:sqlHexDecode`: identical.
    SqlHexDecode => "SQL_HEX_DECODE", Some("sqlHexDecode");
    /// CSS 2 escapes using at most two bytes per escape, full-width ASCII mapped back, `\` + non-hex gives the
    /// character (`ja\vascript`). ModSecurity `t:cssDecode`: identical.
    CssDecode => "CSS_DECODE", Some("cssDecode");
    /// JavaScript escapes; `\uHHHH` keeps the low byte except full-width ASCII (`FF01`-`FF5E`), which maps back to
    /// ASCII. ModSecurity `t:jsDecode`: identical.
    JsDecode => "JS_DECODE", Some("jsDecode");
    /// Removes `//`, `./` and resolves `../` (leading back-references of relative paths are kept). ModSecurity
    /// `t:normalizePath` (also `normalisePath`): same results.
    NormalizePath => "NORMALIZE_PATH", Some("normalizePath");
    /// NORMALIZE_PATH after turning `\` into `/`. ModSecurity `t:normalizePathWin` (`normalisePathWin`).
    NormalizePathWin => "NORMALIZE_PATH_WIN", Some("normalizePathWin");
    /// Deletes NUL bytes. ModSecurity `t:removeNulls`: identical.
    RemoveNulls => "REMOVE_NULLS", Some("removeNulls");
    /// NUL bytes to spaces. ModSecurity `t:replaceNulls`: identical.
    ReplaceNulls => "REPLACE_NULLS", Some("replaceNulls");
    /// Forgiving Base64 that skips every byte outside the alphabet. ModSecurity `t:base64DecodeExt`; it returns
    /// nothing for a stray `=` after a single dangling character, here `=` is simply skipped.
    Base64DecodeExt => "BASE64_DECODE_EXT", Some("base64DecodeExt");
    /// URL_DECODE plus IIS `%uHHHH` (low byte; full-width ASCII mapped back). ModSecurity `t:urlDecodeUni` without
    /// a `SecUnicodeMapFile`: identical (no best-fit code-page mapping).
    UrlDecodeUni => "URL_DECODE_UNI", Some("urlDecodeUni");
    /// Multi-byte UTF-8 sequences to `%uHHHH`. ModSecurity `t:utf8toUnicode`; it also appends a stray lead byte
    /// after overlong and surrogate sequences, which is not reproduced.
    Utf8ToUnicode => "UTF8_TO_UNICODE", Some("utf8toUnicode");
    /// Deletes space, `\t`, `\n`, `\v`, `\f`, `\r`, the byte 0xA0 and the UTF-8 NBSP `C2 A0`. ModSecurity
    /// `t:removeWhitespace` deletes every 0xC2 byte, mangling other UTF-8 text; only `C2 A0` is removed here.
    RemoveWhitespace => "REMOVE_WHITESPACE", Some("removeWhitespace");
    /// Trims C whitespace (space, `\t`, `\n`, `\v`, `\f`, `\r`) from both ends. ModSecurity `t:trim`: identical.
    Trim => "TRIM", Some("trim");
    /// Trims leading C whitespace. ModSecurity `t:trimLeft`: identical.
    TrimLeft => "TRIM_LEFT", Some("trimLeft");
    /// Trims trailing C whitespace. ModSecurity `t:trimRight`: identical.
    TrimRight => "TRIM_RIGHT", Some("trimRight");
    /// Deletes the comment markers `/*`, `*/`, `<!--`, `-->`, `--`, `#`. ModSecurity `t:removeCommentsChar`:
    /// identical.
    RemoveCommentsChar => "REMOVE_COMMENTS_CHAR", Some("removeCommentsChar");
    /// ASCII `a-z` to `A-Z`. ModSecurity `t:uppercase` (C locale): identical.
    Uppercase => "UPPERCASE", Some("uppercase");
    /// Windows `cmd.exe` normalisation: deletes `^` (with the line break of a `^` continuation) and `" '`,
    /// collapses runs of `\`, turns whitespace runs into one space, trims, lower-cases. No ModSecurity equivalent.
    CmdLineWin => "CMD_LINE_WIN", None;
    /// POSIX-shell normalisation: deletes `\ " '`, turns whitespace runs into one space, trims, lower-cases. No
    /// ModSecurity equivalent.
    CmdLineUnix => "CMD_LINE_UNIX", None;
    /// JS_DECODE without information loss: `\uHHHH` outside full-width ASCII becomes UTF-8, surrogate pairs are
    /// joined, `\u{H...}` is decoded. No ModSecurity equivalent.
    JsDecodeExt => "JS_DECODE_EXT", None;
    /// The raw 32-byte SHA-256 digest. No ModSecurity equivalent (it has `t:sha1`).
    Sha256 => "SHA256", None;
}

impl TransformationType {
    /// Parses a ModSecurity `t:` action name (without the `t:`), ASCII case-insensitively; accepts the British
    /// spellings `normalisePath` / `normalisePathWin` that ModSecurity also accepts.
    pub fn from_modsecurity_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("normalisePath") {
            return Some(Self::NormalizePath);
        }
        if name.eq_ignore_ascii_case("normalisePathWin") {
            return Some(Self::NormalizePathWin);
        }
        Self::ALL
            .into_iter()
            .find(|t| t.modsecurity_name().is_some_and(|m| m.eq_ignore_ascii_case(name)))
    }

    /// Applies this transformation to `input`, appending the result to `out` (whose existing contents are kept).
    ///
    /// Works on arbitrary bytes and never panics.
    pub fn apply(self, input: &[u8], out: &mut Vec<u8>) {
        match self {
            Self::None => out.extend_from_slice(input),
            Self::CompressWhiteSpace => text::compress_white_space(input, out),
            Self::HtmlEntityDecode => html::html_entity_decode(input, out),
            Self::Lowercase => text::lowercase(input, out),
            Self::CmdLine => text::cmd_line(input, out),
            Self::UrlDecode => url::url_decode(input, out),
            Self::Base64Decode => binary::base64_decode(input, out),
            Self::HexDecode => binary::hex_decode(input, out),
            Self::Md5 => binary::md5(input, out),
            Self::ReplaceComments => text::replace_comments(input, out),
            Self::EscapeSeqDecode => escapes::escape_seq_decode(input, out),
            Self::SqlHexDecode => binary::sql_hex_decode(input, out),
            Self::CssDecode => escapes::css_decode(input, out),
            Self::JsDecode => escapes::js_decode(input, out),
            Self::NormalizePath => path::normalize_path(input, out),
            Self::NormalizePathWin => path::normalize_path_win(input, out),
            Self::RemoveNulls => text::remove_nulls(input, out),
            Self::ReplaceNulls => text::replace_nulls(input, out),
            Self::Base64DecodeExt => binary::base64_decode_ext(input, out),
            Self::UrlDecodeUni => url::url_decode_uni(input, out),
            Self::Utf8ToUnicode => url::utf8_to_unicode(input, out),
            Self::RemoveWhitespace => text::remove_whitespace(input, out),
            Self::Trim => text::trim(input, out),
            Self::TrimLeft => text::trim_left(input, out),
            Self::TrimRight => text::trim_right(input, out),
            Self::RemoveCommentsChar => text::remove_comments_char(input, out),
            Self::Uppercase => text::uppercase(input, out),
            Self::CmdLineWin => text::cmd_line_win(input, out),
            Self::CmdLineUnix => text::cmd_line_unix(input, out),
            Self::JsDecodeExt => escapes::js_decode_ext(input, out),
            Self::Sha256 => binary::sha256(input, out),
        }
    }

    /// Convenience form of [`Self::apply`] returning a new vector (allocates; the request path uses [`Chain`]).
    pub fn apply_to_vec(self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        self.apply(input, &mut out);
        out
    }

    /// A cheap pre-check: `false` guarantees that [`Self::apply`] would reproduce `input` exactly, so a chain can
    /// skip the step without copying. `true` means it might change it (the check is conservative).
    ///
    /// Each check is one vectorisable scan for the bytes the transformation acts on (`%`/`+` for URL decoding,
    /// `&` for HTML entities, `\` for escape decoders, upper-case letters for LOWERCASE, ...).
    pub fn may_change(self, input: &[u8]) -> bool {
        use tables::{any_in_class, any_in_range, is_c_space, C_SPACE, NBSP};
        match self {
            Self::None => false,
            Self::Lowercase => any_in_range(input, b'A', b'Z'),
            Self::Uppercase => any_in_range(input, b'a', b'z'),
            Self::UrlDecode | Self::UrlDecodeUni => url::may_url_decode(input),
            Self::HtmlEntityDecode => memchr::memchr(b'&', input).is_some(),
            Self::CssDecode | Self::JsDecode | Self::JsDecodeExt | Self::EscapeSeqDecode => {
                memchr::memchr(b'\\', input).is_some()
            }
            Self::RemoveNulls | Self::ReplaceNulls => memchr::memchr(0, input).is_some(),
            Self::ReplaceComments => memchr::memmem::find(input, b"/*").is_some(),
            Self::RemoveCommentsChar => memchr::memchr3(b'*', b'-', b'#', input).is_some(),
            Self::SqlHexDecode => memchr::memchr2(b'x', b'X', input).is_some(),
            Self::Utf8ToUnicode => any_in_range(input, 0x80, 0xFF),
            Self::Trim => input.first().is_some_and(|&b| is_c_space(b)) || input.last().is_some_and(|&b| is_c_space(b)),
            Self::TrimLeft => input.first().is_some_and(|&b| is_c_space(b)),
            Self::TrimRight => input.last().is_some_and(|&b| is_c_space(b)),
            Self::RemoveWhitespace => any_in_class(input, C_SPACE | NBSP),
            Self::CompressWhiteSpace => {
                input.iter().any(|&b| b != b' ' && tables::is_space_or_nbsp(b))
                    || memchr::memmem::find(input, b"  ").is_some()
            }
            Self::NormalizePath => {
                memchr::memchr(b'.', input).is_some() || memchr::memmem::find(input, b"//").is_some()
            }
            Self::NormalizePathWin => {
                memchr::memchr2(b'.', b'\\', input).is_some() || memchr::memmem::find(input, b"//").is_some()
            }
            Self::CmdLine
            | Self::CmdLineWin
            | Self::CmdLineUnix
            | Self::Base64Decode
            | Self::Base64DecodeExt
            | Self::HexDecode
            | Self::Md5
            | Self::Sha256 => true,
        }
    }

    /// True for the types whose [`Self::may_change`] check is `true` whatever the input (CMD_LINE*, the Base64 and
    /// hex decoders, the digests): a chain's value can never get past one of them unchanged.
    pub fn always_may_change(self) -> bool {
        matches!(
            self,
            Self::CmdLine
                | Self::CmdLineWin
                | Self::CmdLineUnix
                | Self::Base64Decode
                | Self::Base64DecodeExt
                | Self::HexDecode
                | Self::Md5
                | Self::Sha256
        )
    }

    /// A type that gives exactly the same result as this one on `input` (itself when there is no simpler one).
    ///
    /// CMD_LINE_WIN and CMD_LINE_UNIX only treat `\` and `^` differently, so on an input with neither of them
    /// CMD_LINE_WIN is CMD_LINE_UNIX: slots of one component that differ only in that step share their value.
    pub fn equivalent_on(self, input: &[u8]) -> Self {
        match self {
            Self::CmdLineWin if memchr::memchr2(b'\\', b'^', input).is_none() => Self::CmdLineUnix,
            other => other,
        }
    }

    /// True when the result can replace the input byte for byte in place (same length, each output byte depends
    /// only on the input byte at that position); chains then transform their scratch buffer without copying.
    pub fn is_bytewise_map(self) -> bool {
        matches!(self, Self::Lowercase | Self::Uppercase | Self::ReplaceNulls)
    }

    /// True when the output is never longer than the input, whatever the input. False only for UTF8_TO_UNICODE
    /// (which expands) and the digests (fixed 16/32 bytes).
    pub fn never_lengthens(self) -> bool {
        !matches!(self, Self::Utf8ToUnicode | Self::Md5 | Self::Sha256)
    }

    /// True when applying the transformation twice gives the same result as applying it once, so a chain can
    /// collapse adjacent repeats.
    pub fn is_idempotent(self) -> bool {
        matches!(
            self,
            Self::None
                | Self::Lowercase
                | Self::Uppercase
                | Self::Trim
                | Self::TrimLeft
                | Self::TrimRight
                | Self::CompressWhiteSpace
                | Self::RemoveNulls
                | Self::ReplaceNulls
                | Self::RemoveWhitespace
        )
    }

    /// Applies a byte-wise map ([`Self::is_bytewise_map`]) in place; does nothing for other types.
    fn apply_in_place(self, buf: &mut [u8]) {
        match self {
            Self::Lowercase => buf.make_ascii_lowercase(),
            Self::Uppercase => buf.make_ascii_uppercase(),
            Self::ReplaceNulls => text::replace_nulls_in_place(buf),
            _ => {}
        }
    }
}

impl fmt::Display for TransformationType {
    /// Writes the AWS API name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.aws_name())
    }
}

impl FromStr for TransformationType {
    type Err = UnknownTransformation;

    /// Parses an AWS API name (see [`TransformationType::from_aws_name`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_aws_name(s).ok_or_else(|| UnknownTransformation(s.to_owned()))
    }
}
