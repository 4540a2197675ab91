//! HTML entity, CSS, JavaScript and ANSI C escape decoders.

use super::check;
use crate::transform::TransformationType as T;

#[test]
fn html_entity_decode_aws_list() {
    // AWS: &quot; -> ", &nbsp; -> non-breaking space (decimal 160), &lt; -> <, &gt; -> >, &#xhhhh; and &#nnnn;
    // -> the corresponding characters.
    check(T::HtmlEntityDecode, b"&quot;&nbsp;&lt;&gt;&amp;", b"\"\xA0<>&");
    check(T::HtmlEntityDecode, b"&#x41;&#x0041;&#65;&#0065;&#X42;", b"AAAAB");
    check(
        T::HtmlEntityDecode,
        b"&lcub;&rcub;&lpar;&rpar;&sol;&bsol;&NewLine;&Tab;&NonBreakingSpace;",
        b"{}()/\\\n\t\xA0",
    );
    check(
        T::HtmlEntityDecode,
        b"&excl;&num;&dollar;&percnt;&apos;&ast;&plus;&comma;&period;",
        b"!#$%'*+,.",
    );
    check(
        T::HtmlEntityDecode,
        b"&colon;&semi;&equals;&quest;&lsqb;&rsqb;&Hat;&lowbar;&grave;",
        b":;=?[]^_`",
    );
    check(
        T::HtmlEntityDecode,
        b"&verbar;&vert;&VerticalLine;&tilde;&DiacriticalTilde;&minus;",
        b"|||~~-",
    );
}

#[test]
fn html_entity_decode_edge_cases() {
    // Case-insensitive names; the semicolon is optional.
    check(T::HtmlEntityDecode, b"&AMP;&Lt;&GT", b"&<>");
    check(T::HtmlEntityDecode, b"&#x3c&#60script", b"<<script");
    // Legacy entities decode when letters follow; the letters are kept.
    check(T::HtmlEntityDecode, b"&ltscript&gtx", b"<script>x");
    // Values above 0xFF become UTF-8; up to 0xFF one byte.
    check(
        T::HtmlEntityDecode,
        b"&#x20AC;&#8364;&#xe9;",
        b"\xE2\x82\xAC\xE2\x82\xAC\xE9",
    );
    check(T::HtmlEntityDecode, b"&#0;", b"\x00");
    // Not decodable: left as written.
    check(
        T::HtmlEntityDecode,
        b"&#xD800;&#x110000;&#99999999999999999999;",
        b"&#xD800;&#x110000;&#99999999999999999999;",
    );
    check(
        T::HtmlEntityDecode,
        b"&#;&#x;&#xg;&;&unknown;& &",
        b"&#;&#x;&#xg;&;&unknown;& &",
    );
    check(T::HtmlEntityDecode, b"&", b"&");
    check(T::HtmlEntityDecode, b"&#", b"&#");
    check(T::HtmlEntityDecode, b"&#x", b"&#x");
    // One pass: &amp;lt; is &lt; afterwards, not <.
    check(T::HtmlEntityDecode, b"&amp;lt;", b"&lt;");
    check(T::HtmlEntityDecode, b"Test\x00Case", b"Test\x00Case");
}

#[test]
fn css_decode() {
    // AWS's example: ja\vascript -> javascript (backslash + non-hex character).
    check(T::CssDecode, b"ja\\vascript", b"javascript");
    check(T::CssDecode, b"\\41 bc", b"Abc");
    check(
        T::CssDecode,
        b"\\1A\\1 A\\1234567\\123456 7\\1x\\1 x",
        b"\x1a\x01AV7V7\x01x\x01x",
    );
    // Full-width ASCII FF01-FF5E maps back to ASCII (4 digits, or 5/6 with leading zeros).
    check(T::CssDecode, b"\\ff01\\FF5E\\0ff41\\00ff41\\1ff41", b"!~aaA");
    // Backslash-newline is a continuation; a trailing backslash disappears; \\ is a backslash.
    check(T::CssDecode, b"a\\\nb", b"ab");
    check(T::CssDecode, b"test\\", b"test");
    check(T::CssDecode, b"\\\\", b"\\");
    check(T::CssDecode, b"Test\x00Case", b"Test\x00Case");
}

#[test]
fn js_decode() {
    check(T::JsDecode, b"\\u0041\\x42\\103", b"ABC");
    // AWS: \uHHHH in FF01-FF5E uses the higher byte to adjust the lower; otherwise the higher byte is zeroed.
    check(T::JsDecode, b"\\uff41\\uFF01\\u1141\\u20ac", b"a!A\xac");
    check(T::JsDecode, b"\\a\\b\\f\\n\\r\\t\\v", b"\x07\x08\x0c\n\r\t\x0b");
    check(T::JsDecode, b"\\'\\\"\\\\\\/\\d\\?", b"'\"\\/d?");
    check(T::JsDecode, b"\\0\\12\\477", b"\x00\n'7");
    // Incomplete \u and \x: the backslash goes, the rest stays.
    check(T::JsDecode, b"\\u\\u0\\u01\\u012", b"uu0u01u012");
    check(T::JsDecode, b"\\x4\\xZZ", b"x4xZZ");
    check(T::JsDecode, b"\\u{41}", b"u{41}");
    // A trailing lone backslash is kept.
    check(T::JsDecode, b"abc\\", b"abc\\");
    check(T::JsDecode, b"\\\\a\\\\b", b"\\a\\b");
}

#[test]
fn js_decode_ext() {
    check(T::JsDecodeExt, b"\\u0041\\uff41\\x42", b"AaB");
    // No information loss: code points become UTF-8, surrogate pairs are joined, \u{...} is decoded.
    check(T::JsDecodeExt, b"\\u00e9\\u20AC", "é€".as_bytes());
    check(T::JsDecodeExt, b"\\ud83d\\ude00", "😀".as_bytes());
    check(T::JsDecodeExt, b"\\u{1F600}\\u{41}\\u{0}", b"\xF0\x9F\x98\x80A\x00");
    // A lone surrogate is kept in its generalised UTF-8 form.
    check(T::JsDecodeExt, b"\\ud83dx", b"\xED\xA0\xBDx");
    check(
        T::JsDecodeExt,
        b"\\u{110000}\\u{}\\u{1234567}",
        b"u{110000}u{}u{1234567}",
    );
    check(T::JsDecodeExt, b"\\d\\n", b"d\n");
}

#[test]
fn escape_seq_decode() {
    // AWS: \a, \b, \f, \n, \r, \t, \v, \\, \?, \', \", \xHH, \0OOO; invalid encodings remain in the output.
    check(
        T::EscapeSeqDecode,
        b"\\a\\b\\f\\n\\r\\t\\v\\\\\\?\\'\\\"",
        b"\x07\x08\x0c\n\r\t\x0b\\?'\"",
    );
    check(
        T::EscapeSeqDecode,
        b"\\x41\\X42\\0\\12\\101\\0123\\666",
        b"AB\x00\nA\n3\xb6",
    );
    check(T::EscapeSeqDecode, b"\\z\\xZZ\\x4\\8\\", b"\\z\\xZZ\\x4\\8\\");
    check(T::EscapeSeqDecode, b"\\\\x41", b"\\x41");
    check(T::EscapeSeqDecode, b"Test\x00Case", b"Test\x00Case");
}
