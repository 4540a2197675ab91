//! URL, Base64, hex, SQL hex, UTF-8 and digest transformations.

use super::{check, run};
use crate::transform::TransformationType as T;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn url_decode() {
    check(T::UrlDecode, b"a%20b+c%41%4a%4A", b"a b cAJJ");
    check(T::UrlDecode, b"%00%ff%FF", b"\x00\xff\xff");
    // Invalid and truncated escapes are left as written (ModSecurity's non-strict decoder).
    check(T::UrlDecode, b"%+", b"% ");
    check(T::UrlDecode, b"%%20", b"% ");
    check(T::UrlDecode, b"%0g%20", b"%0g ");
    check(T::UrlDecode, b"%0%20", b"%0 ");
    check(T::UrlDecode, b"%g0%20", b"%g0 ");
    check(T::UrlDecode, b"%", b"%");
    check(T::UrlDecode, b"%0", b"%0");
    check(T::UrlDecode, b"%%", b"%%");
    check(T::UrlDecode, b"%gg", b"%gg");
    check(T::UrlDecode, b"%0%1%2%a%f", b"%0%1%2%a%f");
    // %u is not special here.
    check(T::UrlDecode, b"%u0041", b"%u0041");
    // One pass only: %2541 decodes to %41, not A.
    check(T::UrlDecode, b"%2541", b"%41");
}

#[test]
fn url_decode_uni() {
    check(T::UrlDecodeUni, b"%u0041%U0042+%43", b"AB C");
    // AWS: full-width ASCII FF01-FF5E: the higher byte is used to adjust the lower byte.
    check(T::UrlDecodeUni, b"%uff41%uFF01%uff5e", b"a!~");
    // Otherwise only the lower byte is used and the higher byte is zeroed.
    check(T::UrlDecodeUni, b"%u1141%u2028%uff00%uff5f%uff7f", b"A\x28\x00\x5f\x7f");
    // Invalid or truncated %u escapes are left as written; decoding resumes after "%u".
    check(T::UrlDecodeUni, b"%u%u0020", b"%u ");
    check(T::UrlDecodeUni, b"%u0%u0020", b"%u0 ");
    check(T::UrlDecodeUni, b"%u00%u0020", b"%u00 ");
    check(T::UrlDecodeUni, b"%u000%u0020", b"%u000 ");
    check(T::UrlDecodeUni, b"%u004", b"%u004");
    check(T::UrlDecodeUni, b"%uzzzz", b"%uzzzz");
    check(T::UrlDecodeUni, b"%0g%u0020", b"%0g ");
    check(T::UrlDecodeUni, b"%", b"%");
}

#[test]
fn base64_decode() {
    check(T::Base64Decode, b"VGVzdENhc2U=", b"TestCase");
    check(T::Base64Decode, b"VGVzdENhc2Ux", b"TestCase1");
    check(T::Base64Decode, b"VGVzdENhc2UxMg==", b"TestCase12");
    check(T::Base64Decode, b"VGVzdABDYXNl", b"Test\x00Case");
    check(T::Base64Decode, b"VGVz\r\ndA==", b"Test");
    // Missing padding and a dangling partial group: the whole bytes are kept.
    check(T::Base64Decode, b"PHNjcmlwd", b"<scrip");
    // Decoding stops at the first byte outside the alphabet; what came before is the result.
    check(T::Base64Decode, b"PFR FU1Q+", b"<T");
    check(T::Base64Decode, b"P.HNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", b"");
    check(T::Base64Decode, b"PFRFU1Q-", b"<TEST");
    check(T::Base64Decode, b"dzBz\xc2\xa9V==", b"w0s");
    check(T::Base64Decode, b"=", b"");
}

#[test]
fn base64_decode_ext() {
    // AWS: "a forgiving implementation that ignores characters that aren't valid".
    check(
        T::Base64DecodeExt,
        b"P.HNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        b"<script>alert(1)</script>",
    );
    check(T::Base64DecodeExt, b"VGVz dEN\thc2U=", b"TestCase");
    check(T::Base64DecodeExt, b"Q!U-J!D", b"ABC");
    check(T::Base64DecodeExt, b"VG=Vz=dA", b"Test");
    check(T::Base64DecodeExt, b"\xff\x00**", b"");
}

#[test]
fn hex_decode() {
    check(T::HexDecode, b"5465737443617365", b"TestCase");
    check(T::HexDecode, b"546573740043617365", b"Test\x00Case");
    check(T::HexDecode, b"4a4B", b"JK");
    // Bytes that do not start a hex pair pass through unchanged.
    check(T::HexDecode, b"414", b"A4");
    check(T::HexDecode, b"41zz42", b"AzzB");
    check(T::HexDecode, b"4g41", b"4gA");
    check(T::HexDecode, b"0x41", b"0xA");
}

#[test]
fn sql_hex_decode() {
    // AWS's example: 0x414243 decodes to ABC.
    check(T::SqlHexDecode, b"0x414243", b"ABC");
    check(T::SqlHexDecode, b"SELECT 0x414243,0X61", b"SELECT ABC,a");
    check(T::SqlHexDecode, b"0x41424", b"AB4");
    check(T::SqlHexDecode, b"10x41", b"1A");
    check(T::SqlHexDecode, b"0x4", b"0x4");
    check(T::SqlHexDecode, b"0xZZ", b"0xZZ");
    check(T::SqlHexDecode, b"0x", b"0x");
    check(T::SqlHexDecode, b"x41", b"x41");
}

#[test]
fn digests_are_raw_binary() {
    // AWS: "The computed hash is in a raw binary form."
    assert_eq!(hex(&run(T::Md5, b"")), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(hex(&run(T::Md5, b"abc")), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        hex(&run(T::Sha256, b"")),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        hex(&run(T::Sha256, b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(run(T::Md5, b"\x00\xff").len(), 16);
}

#[test]
fn utf8_to_unicode() {
    check(T::Utf8ToUnicode, b"plain ASCII", b"plain ASCII");
    check(T::Utf8ToUnicode, "é€".as_bytes(), b"%u00e9%u20ac");
    check(T::Utf8ToUnicode, "a😀b".as_bytes(), b"a%u1f600b");
    check(T::Utf8ToUnicode, "\u{10FFFF}".as_bytes(), b"%u10ffff");
    // Bytes that do not start a well-formed sequence are copied: stray continuation, truncated, bad lead.
    check(T::Utf8ToUnicode, b"a\x80b", b"a\x80b");
    check(T::Utf8ToUnicode, b"a\xE2\x82", b"a\xE2\x82");
    check(T::Utf8ToUnicode, b"\xE2\x82x", b"\xE2\x82x");
    check(T::Utf8ToUnicode, b"\xF8\x88\x80\x80\x80", b"\xF8\x88\x80\x80\x80");
    check(T::Utf8ToUnicode, b"\xC3", b"\xC3");
    // Overlong forms and surrogates decode to the code point they spell (so a later URL_DECODE_UNI sees '/').
    check(T::Utf8ToUnicode, b"\xC0\xAF", b"%u002f");
    check(T::Utf8ToUnicode, b"\xE0\x80\xAF", b"%u002f");
    check(T::Utf8ToUnicode, b"\xED\xA0\x80", b"%ud800");
    check(T::Utf8ToUnicode, b"\x00", b"\x00");
}

#[test]
fn overlong_slash_is_seen_through_by_a_chain() {
    let chain = crate::transform::Chain::new([T::Utf8ToUnicode, T::UrlDecodeUni]);
    let mut scratch = crate::transform::Scratch::new();
    assert_eq!(chain.apply(b"..\xC0\xAF..\xC0\xAFetc", &mut scratch), b"../../etc");
}
