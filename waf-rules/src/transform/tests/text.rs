//! Case, whitespace, NUL, comment and command-line transformations.

use super::check;
use crate::transform::TransformationType as T;

#[test]
fn none_is_identity() {
    check(T::None, b"A%41&lt;\x00\xff", b"A%41&lt;\x00\xff");
}

#[test]
fn lowercase_and_uppercase_are_ascii_only() {
    // AWS: "converts uppercase letters (A-Z) to lowercase (a-z)"; bytes of other characters stay.
    check(
        T::Lowercase,
        b"HeLLo WORLD 123 \xC3\x84\xC0",
        b"hello world 123 \xC3\x84\xC0",
    );
    check(
        T::Uppercase,
        b"HeLLo world 123 \xC3\xA4\xE0",
        b"HELLO WORLD 123 \xC3\xA4\xE0",
    );
    check(T::Lowercase, b"@[`{", b"@[`{");
    check(T::Uppercase, b"@[`{", b"@[`{");
}

#[test]
fn compress_white_space() {
    // AWS: \f \t \n \r \v and non-breaking space (decimal 160) become a space; multiple spaces become one.
    check(T::CompressWhiteSpace, b"a \t\n\x0b\x0c\rb\xA0\xA0c  d", b"a b c d");
    // ModSecurity's documented case: leading and trailing runs become one space each, not trimmed.
    check(T::CompressWhiteSpace, b"  Test  \t   Case  ", b" Test Case ");
    check(T::CompressWhiteSpace, b"Test\x00Case", b"Test\x00Case");
    check(T::CompressWhiteSpace, b"one two", b"one two");
}

#[test]
fn remove_whitespace() {
    check(T::RemoveWhitespace, b"  Test  \t   Case  ", b"TestCase");
    check(T::RemoveWhitespace, b"a\r\nb\x0b\x0cc\xA0d", b"abcd");
    // UTF-8 NBSP (C2 A0) goes as a pair; a C2 lead byte of another character is kept (ModSecurity drops it).
    check(T::RemoveWhitespace, b"a\xC2\xA0b \xC2\xA9", b"ab\xC2\xA9");
    check(T::RemoveWhitespace, b"Test\x00Case", b"Test\x00Case");
}

#[test]
fn trims() {
    check(T::Trim, b" \t\n a b \r\x0b\x0c", b"a b");
    check(T::TrimLeft, b"  a b  ", b"a b  ");
    check(T::TrimRight, b"  a b  ", b"  a b");
    check(T::Trim, b"   ", b"");
    check(T::TrimLeft, b"\t\t", b"");
    check(T::TrimRight, b"\n", b"");
    // NUL and NBSP are not C whitespace.
    check(T::Trim, b"\x00a\x00", b"\x00a\x00");
    check(T::Trim, b"\xA0a\xA0", b"\xA0a\xA0");
}

#[test]
fn nulls() {
    check(T::RemoveNulls, b"a\x00b\x00\x00c\x00", b"abc");
    check(T::ReplaceNulls, b"a\x00b\x00\x00c\x00", b"a b  c ");
    check(T::RemoveNulls, b"\x00\x00", b"");
    check(T::ReplaceNulls, b"no nulls", b"no nulls");
}

#[test]
fn cmd_line_aws_rules() {
    // AWS: delete \ " ' ^ ; delete spaces before / and ( ; , and ; become spaces; multiple spaces become one;
    // upper case becomes lower case.
    check(T::CmdLine, b"c\\a't\"^ /etc/passwd", b"cat/etc/passwd");
    check(T::CmdLine, b"a;b,c", b"a b c");
    check(T::CmdLine, b"a  ,; \t\r\n b", b"a b");
    check(T::CmdLine, b"x (y)", b"x(y)");
    check(T::CmdLine, b"x ,(y)", b"x(y)");
    // ModSecurity's regression cases.
    check(T::CmdLine, b"C^OMMAND /C DIR", b"command/c dir");
    check(T::CmdLine, b"C^oMMaNd /C DiR", b"command/c dir");
    check(T::CmdLine, b"cmd,/c DiR", b"cmd/c dir");
    check(T::CmdLine, b"\"command\" /c DiR", b"command/c dir");
    // Leading and trailing separators stay (one space each), as in ModSecurity; \v and \f are not separators.
    check(T::CmdLine, b" a ", b" a ");
    check(T::CmdLine, b"a\x0bB", b"a\x0bb");
}

#[test]
fn cmd_line_unix() {
    check(T::CmdLineUnix, b"  Li\"D \t", b"lid");
    check(T::CmdLineUnix, b"CAT\t/ETC/PASS'WD;ID^X,Y", b"cat /etc/passwd;id^x,y");
    check(T::CmdLineUnix, b"c\\a\"t /e't'c", b"cat /etc");
    check(T::CmdLineUnix, b"a \x0b\x0c\r\n b", b"a b");
    check(T::CmdLineUnix, b"   ", b"");
}

#[test]
fn cmd_line_win() {
    check(T::CmdLineWin, b"C:\\\\Windows\\\\\\System32", b"c:\\windows\\system32");
    check(
        T::CmdLineWin,
        b"  p^o^w^e^r^s^h^e^l^l  -c \"CALC\"  ",
        b"powershell -c calc",
    );
    check(T::CmdLineWin, b"who^\r\nami", b"whoami");
    check(T::CmdLineWin, b"who^\nami", b"whoami");
    check(T::CmdLineWin, b"who^\rami", b"who ami");
    check(T::CmdLineWin, b"a;b,c", b"a;b,c");
    check(T::CmdLineWin, b"'X'\t\n y", b"x y");
    check(T::CmdLineWin, b"x^", b"x");
    check(T::CmdLineWin, b"\\\"\\", b"\\");
}

#[test]
fn replace_comments() {
    // AWS: each C comment becomes one space; consecutive ones are not compressed; an unterminated comment
    // becomes a space; a standalone */ is not changed.
    check(T::ReplaceComments, b"Before/* TestCase */After", b"Before After");
    check(T::ReplaceComments, b"Before /* TestCase */ After", b"Before   After");
    check(T::ReplaceComments, b"SELECT/**/1/*a*//*b*/2", b"SELECT 1  2");
    check(T::ReplaceComments, b"Before /* Test\nCase ", b"Before  ");
    check(T::ReplaceComments, b"Test\nCase */ After", b"Test\nCase */ After");
    check(T::ReplaceComments, b"/*/", b" ");
    check(T::ReplaceComments, b"/", b"/");
    check(T::ReplaceComments, b"a/*", b"a ");
}

#[test]
fn remove_comments_char() {
    check(T::RemoveCommentsChar, b"/* TestCase */", b" TestCase ");
    check(
        T::RemoveCommentsChar,
        b"Before /* TestCase */ After",
        b"Before  TestCase  After",
    );
    check(T::RemoveCommentsChar, b"Test\nCase */ After", b"Test\nCase  After");
    check(T::RemoveCommentsChar, b"1--2#3<!--4-->5", b"12345");
    check(T::RemoveCommentsChar, b"a-b*c/d<!e", b"a-b*c/d<!e");
    check(T::RemoveCommentsChar, b"---", b"-");
    check(T::RemoveCommentsChar, b"<!-", b"<!-");
}
