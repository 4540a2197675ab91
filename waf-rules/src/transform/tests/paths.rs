//! NORMALIZE_PATH and NORMALIZE_PATH_WIN, against ModSecurity's regression table.

use super::check;
use crate::transform::TransformationType as T;

#[test]
fn normalize_path_modsecurity_cases() {
    let cases: &[(&str, &str)] = &[
        ("", ""),
        ("/foo/bar/baz", "/foo/bar/baz"),
        ("x", "x"),
        (".", ""),
        ("./", ""),
        ("./..", ".."),
        ("./../", "../"),
        ("..", ".."),
        ("../", "../"),
        ("../.", ".."),
        (".././", "../"),
        ("../..", "../.."),
        ("../../", "../../"),
        ("/dir/foo//bar", "/dir/foo/bar"),
        ("dir/foo//bar/", "dir/foo/bar/"),
        ("dir/../foo", "foo"),
        ("dir/../../foo", "../foo"),
        ("dir/./.././../../foo/bar", "../../foo/bar"),
        ("dir/./.././../../foo/bar/.", "../../foo/bar"),
        ("dir/./.././../../foo/bar/./", "../../foo/bar/"),
        ("dir/./.././../../foo/bar/..", "../../foo"),
        ("dir/./.././../../foo/bar/../", "../../foo/"),
        ("dir/./.././../../foo/bar/", "../../foo/bar/"),
        ("dir//.//..//.//..//..//foo//bar", "../../foo/bar"),
        ("dir//.//..//.//..//..//foo//bar//", "../../foo/bar/"),
        ("dir/subdir/subsubdir/subsubsubdir/../../..", "dir"),
        ("dir/./subdir/./subsubdir/./subsubsubdir/../../..", "dir"),
        ("dir/./subdir/../subsubdir/../subsubsubdir/..", "dir"),
        ("/dir/./subdir/../subsubdir/../subsubsubdir/../", "/dir/"),
        ("/./.././../../../../../../../\0/../etc/./passwd", "/etc/passwd"),
    ];
    for (input, expected) in cases {
        check(T::NormalizePath, input.as_bytes(), expected.as_bytes());
    }
}

#[test]
fn normalize_path_more() {
    // AWS: removes multiple slashes, self-references and back-references not at the beginning of the input.
    check(T::NormalizePath, b"/a//b/./c/../d", b"/a/b/d");
    check(T::NormalizePath, b"/", b"/");
    check(T::NormalizePath, b"//", b"/");
    check(T::NormalizePath, b"/..", b"/");
    check(T::NormalizePath, b"a/..", b"");
    check(T::NormalizePath, b"a/../", b"");
    check(T::NormalizePath, b"/a/b/../../..", b"/");
    check(T::NormalizePath, b"..a/.b/c.", b"..a/.b/c.");
    check(T::NormalizePath, b"/a\\..\\b", b"/a\\..\\b");
    check(T::NormalizePath, b"/a/..\x00/b", b"/a/..\x00/b");
}

#[test]
fn normalize_path_win() {
    check(
        T::NormalizePathWin,
        b"C:\\inetpub\\wwwroot\\index.html",
        b"C:/inetpub/wwwroot/index.html",
    );
    check(T::NormalizePathWin, b"..\\..\\etc\\passwd", b"../../etc/passwd");
    check(T::NormalizePathWin, b"foo\\..\\bar", b"bar");
    check(T::NormalizePathWin, b"\\\\a\\\\..\\\\b", b"/b");
    check(T::NormalizePathWin, b"/a\\b/..\\c\\", b"/a/c/");
    check(T::NormalizePathWin, b"\\", b"/");
}
