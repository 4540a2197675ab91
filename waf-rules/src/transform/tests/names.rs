//! AWS and ModSecurity names.

use crate::transform::{TransformationType as T, UnknownTransformation};

/// The 31 values of `TextTransformationType` in the AWS API model, in model order.
const AWS_MODEL: [&str; 31] = [
    "NONE",
    "COMPRESS_WHITE_SPACE",
    "HTML_ENTITY_DECODE",
    "LOWERCASE",
    "CMD_LINE",
    "URL_DECODE",
    "BASE64_DECODE",
    "HEX_DECODE",
    "MD5",
    "REPLACE_COMMENTS",
    "ESCAPE_SEQ_DECODE",
    "SQL_HEX_DECODE",
    "CSS_DECODE",
    "JS_DECODE",
    "NORMALIZE_PATH",
    "NORMALIZE_PATH_WIN",
    "REMOVE_NULLS",
    "REPLACE_NULLS",
    "BASE64_DECODE_EXT",
    "URL_DECODE_UNI",
    "UTF8_TO_UNICODE",
    "REMOVE_WHITESPACE",
    "TRIM",
    "TRIM_LEFT",
    "TRIM_RIGHT",
    "REMOVE_COMMENTS_CHAR",
    "UPPERCASE",
    "CMD_LINE_WIN",
    "CMD_LINE_UNIX",
    "JS_DECODE_EXT",
    "SHA256",
];

#[test]
fn all_matches_the_aws_model_in_order() {
    let names: Vec<&str> = T::ALL.iter().map(|t| t.aws_name()).collect();
    assert_eq!(names, AWS_MODEL);
}

#[test]
fn aws_names_round_trip() {
    for t in T::ALL {
        assert_eq!(T::from_aws_name(t.aws_name()), Some(t));
        assert_eq!(t.aws_name().parse::<T>(), Ok(t));
        assert_eq!(t.to_string(), t.aws_name());
    }
}

#[test]
fn aws_names_are_exact() {
    assert_eq!(T::from_aws_name("lowercase"), None);
    assert_eq!(T::from_aws_name(" LOWERCASE"), None);
    assert_eq!(T::from_aws_name(""), None);
    assert_eq!("URLDECODE".parse::<T>(), Err(UnknownTransformation("URLDECODE".into())));
    assert_eq!(
        "URLDECODE".parse::<T>().unwrap_err().to_string(),
        "unknown text transformation type \"URLDECODE\""
    );
}

#[test]
fn modsecurity_names() {
    let expected = [
        (T::None, "none"),
        (T::CompressWhiteSpace, "compressWhitespace"),
        (T::HtmlEntityDecode, "htmlEntityDecode"),
        (T::Lowercase, "lowercase"),
        (T::CmdLine, "cmdLine"),
        (T::UrlDecode, "urlDecode"),
        (T::Base64Decode, "base64Decode"),
        (T::HexDecode, "hexDecode"),
        (T::Md5, "md5"),
        (T::ReplaceComments, "replaceComments"),
        (T::EscapeSeqDecode, "escapeSeqDecode"),
        (T::SqlHexDecode, "sqlHexDecode"),
        (T::CssDecode, "cssDecode"),
        (T::JsDecode, "jsDecode"),
        (T::NormalizePath, "normalizePath"),
        (T::NormalizePathWin, "normalizePathWin"),
        (T::RemoveNulls, "removeNulls"),
        (T::ReplaceNulls, "replaceNulls"),
        (T::Base64DecodeExt, "base64DecodeExt"),
        (T::UrlDecodeUni, "urlDecodeUni"),
        (T::Utf8ToUnicode, "utf8toUnicode"),
        (T::RemoveWhitespace, "removeWhitespace"),
        (T::Trim, "trim"),
        (T::TrimLeft, "trimLeft"),
        (T::TrimRight, "trimRight"),
        (T::RemoveCommentsChar, "removeCommentsChar"),
        (T::Uppercase, "uppercase"),
    ];
    for (t, name) in expected {
        assert_eq!(t.modsecurity_name(), Some(name));
        assert_eq!(T::from_modsecurity_name(name), Some(t));
        assert_eq!(T::from_modsecurity_name(&name.to_ascii_uppercase()), Some(t));
    }
    for t in [T::CmdLineWin, T::CmdLineUnix, T::JsDecodeExt, T::Sha256] {
        assert_eq!(t.modsecurity_name(), None, "{t} has no ModSecurity counterpart");
    }
    assert_eq!(T::from_modsecurity_name("normalisePath"), Some(T::NormalizePath));
    assert_eq!(T::from_modsecurity_name("normalisePathWin"), Some(T::NormalizePathWin));
    assert_eq!(T::from_modsecurity_name("sha1"), None);
    assert_eq!(T::from_modsecurity_name("length"), None);
}

#[test]
fn property_flags() {
    for t in T::ALL {
        if t.is_bytewise_map() {
            assert!(t.is_idempotent() && t.never_lengthens(), "{t}");
        }
    }
    assert!(!T::Utf8ToUnicode.never_lengthens());
    assert!(!T::Md5.never_lengthens());
    assert!(T::UrlDecodeUni.never_lengthens());
    assert!(!T::UrlDecode.is_idempotent());
}
