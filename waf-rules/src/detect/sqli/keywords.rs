//! The SQL keyword, function and well-known-identifier table shared by every dialect we recognise (MySQL,
//! PostgreSQL, MSSQL, Oracle, SQLite).
//!
//! One flat table, sorted by upper-case name (for readability and review), indexed by an open-addressing hash
//! table that is built at compile time. A lookup hashes a few bytes of the word, upper-cased on the fly, and
//! compares the candidate rows case-insensitively: no allocation, no copy, usually one comparison. Dialects are
//! merged: an attacker picks the dialect, so a word that is a keyword in any of them is classified as one.
//!
//! A second hash table holds only the *trigger* words (see [`is_trigger`]): the words without which no decision
//! rule can fire away from the start of the input. The prefilter (`prefilter.rs`) looks words up there.

use super::lexer::{Kind, Word};

/// One table row: the upper-case spelling, the class the word has when it is *not* a function call, the specific
/// word the decision rules care about, and whether the word is a function when followed by `(`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    /// Upper-case spelling.
    pub name: &'static str,
    /// Token class when the word is not used as a function call (`Kind::Function` means "only a function": the
    /// word is a plain bareword unless `(` follows).
    pub kind: Kind,
    /// The specific word, for the rules that look for one.
    pub word: Word,
    /// The word is a function (or function-like keyword) when the next significant byte is `(`.
    pub func: bool,
}

const fn kw(name: &'static str, kind: Kind, word: Word, func: bool) -> Entry {
    Entry { name, kind, word, func }
}

/// Longest name in the table; longer words are never looked up.
pub(crate) const MAX_KEYWORD_LEN: usize = 32;

/// Looks a word up case-insensitively. `None` for words that are not in the table (plain identifiers).
pub(crate) fn lookup(word: &[u8]) -> Option<&'static Entry> {
    probe(&SLOTS, word)
}

/// Looks a word up case-insensitively among the words that can start an anchor-0 rule only
/// ([`can_start_rule`]).
pub(crate) fn lookup_rule_start(word: &[u8]) -> Option<&'static Entry> {
    let (&first, &last) = (word.first()?, word.last()?);
    let shapes = RULE_START_SHAPES.get(word.len() * 32 + usize::from(shape(first)))?;
    if shapes >> shape(last) & 1 == 0 {
        return None;
    }
    probe(&RULE_START_SLOTS, word)
}

/// Looks a word up case-insensitively among the trigger words only ([`is_trigger`]).
pub(crate) fn lookup_trigger(word: &[u8]) -> Option<&'static Entry> {
    probe(&TRIGGER_SLOTS, word)
}

/// A byte's class for [`trigger_shapes`]: five bits, ASCII case-insensitive for letters (`a`-`z` are 1-26).
/// Other bytes share classes with letters, which only makes the shape filter let more words through to the
/// hash look-up. Arithmetic rather than a table, to keep the filter's dependency chain short.
#[inline(always)]
pub(crate) const fn shape(b: u8) -> u8 {
    (b | 0x20) & 31
}

/// The shapes of the trigger words: entry `n * 32 + f` has bit `l` set when some trigger word of length `n`
/// starts with a byte of [`shape`] `f` and ends with one of shape `l`. A word whose entry lacks its bit is no
/// trigger, which turns most words away without hashing them.
pub(crate) const fn trigger_shapes() -> [u32; (MAX_KEYWORD_LEN + 1) * 32] {
    shapes_of(Rows::Triggers)
}

const fn shapes_of(rows: Rows) -> [u32; (MAX_KEYWORD_LEN + 1) * 32] {
    let mut t = [0u32; (MAX_KEYWORD_LEN + 1) * 32];
    let mut i = 0;
    while i < LIST.len() {
        if rows.keep(&LIST[i]) {
            let name = LIST[i].name.as_bytes();
            let n = name.len();
            t[n * 32 + shape(name[0]) as usize] |= 1 << shape(name[n - 1]);
        }
        i += 1;
    }
    t
}

static RULE_START_SHAPES: [u32; (MAX_KEYWORD_LEN + 1) * 32] = shapes_of(Rows::RuleStarts);

/// Whether a row can be the token that a rule evaluated away from the first token hinges on: a set operator
/// (`UnionSelect`), boolean logic other than `NOT`, `WHERE` or `HAVING` (`Tautology`), `WAITFOR` or a time
/// function (`TimeDelay`), an attack-only function, procedure or catalog table (`Dangerous*`), or `INTO`
/// (`FileWrite`). Together with `;`, `&&`, `||`, bracket and backtick identifiers and the `information_schema` /
/// `pg_catalog` prefixes, these are what the prefilter looks for (see `prefilter.rs`).
pub(crate) const fn is_trigger(e: &Entry) -> bool {
    matches!(e.kind, Kind::Union)
        || (matches!(e.kind, Kind::Logic) && !matches!(e.word, Word::Not))
        || matches!(
            e.word,
            Word::Having
                | Word::Where
                | Word::Waitfor
                | Word::TimeFn
                | Word::DangerFn
                | Word::DangerName
                | Word::SchemaTable
                | Word::Into
        )
}

/// log2 of the number of hash slots (1,024 for 412 rows: at most 40% full, so probe sequences stay short).
const SLOT_BITS: u32 = 10;
const SLOT_COUNT: usize = 1 << SLOT_BITS;

/// Hash of a word, case-insensitive: its length and four of its bytes, upper-cased. `word` is not empty.
const fn hash(word: &[u8]) -> usize {
    const fn up(word: &[u8], i: usize) -> u32 {
        word[i].to_ascii_uppercase() as u32
    }
    let n = word.len();
    let x = (n as u32) | (up(word, 0) << 8) | (up(word, n / 2) << 16) | (up(word, n - 1) << 24);
    let x = x ^ up(word, n.saturating_sub(2)).wrapping_mul(0x2545_F491);
    (x.wrapping_mul(0x9E37_79B1) >> (32 - SLOT_BITS)) as usize
}

/// Whether a row is a literal, boolean logic or a set operator: the words that can be the first token of an
/// anchor-0 rule (see `prefilter.rs`).
pub(crate) const fn can_start_rule(e: &Entry) -> bool {
    matches!(e.kind, Kind::Lit | Kind::Logic | Kind::Union)
}

/// Which rows a hash table holds.
#[derive(Clone, Copy)]
enum Rows {
    All,
    Triggers,
    RuleStarts,
}

impl Rows {
    const fn keep(self, e: &Entry) -> bool {
        match self {
            Rows::All => true,
            Rows::Triggers => is_trigger(e),
            Rows::RuleStarts => can_start_rule(e),
        }
    }
}

/// Open-addressing table: each slot holds a row index + 1 of [`KEYWORDS`], 0 for empty; linear probing.
const fn build(rows: Rows) -> [u16; SLOT_COUNT] {
    let mut slots = [0u16; SLOT_COUNT];
    let mut i = 0;
    while i < LIST.len() {
        if rows.keep(&LIST[i]) {
            let mut h = hash(LIST[i].name.as_bytes());
            while slots[h] != 0 {
                h = (h + 1) & (SLOT_COUNT - 1);
            }
            slots[h] = (i + 1) as u16;
        }
        i += 1;
    }
    slots
}

static SLOTS: [u16; SLOT_COUNT] = build(Rows::All);
static TRIGGER_SLOTS: [u16; SLOT_COUNT] = build(Rows::Triggers);
static RULE_START_SLOTS: [u16; SLOT_COUNT] = build(Rows::RuleStarts);

fn probe(slots: &[u16; SLOT_COUNT], word: &[u8]) -> Option<&'static Entry> {
    if word.is_empty() || word.len() > MAX_KEYWORD_LEN {
        return None;
    }
    let mut h = hash(word);
    loop {
        let e = LIST.get(usize::from(slots[h]).checked_sub(1)?)?;
        if e.name.len() == word.len() && e.name.as_bytes().eq_ignore_ascii_case(word) {
            return Some(e);
        }
        h = (h + 1) & (SLOT_COUNT - 1);
    }
}

/// Every known word, sorted by its upper-case bytes (a unit test checks the order).
#[cfg(test)]
pub(crate) static KEYWORDS: &[Entry] = LIST;

const LIST: &[Entry] = &[
    kw("ABS", Kind::Function, Word::None, true),
    kw("ACOS", Kind::Function, Word::None, true),
    kw("AES_DECRYPT", Kind::Function, Word::None, true),
    kw("AES_ENCRYPT", Kind::Function, Word::None, true),
    kw("ALL", Kind::Keyword, Word::All, false),
    kw("ALL_TABLES", Kind::Word, Word::SchemaTable, false),
    kw("ALL_TAB_COLUMNS", Kind::Word, Word::SchemaTable, false),
    kw("ALL_USERS", Kind::Word, Word::SchemaTable, false),
    kw("ALTER", Kind::Statement, Word::Alter, false),
    kw("AND", Kind::Logic, Word::None, false),
    kw("AS", Kind::Keyword, Word::None, false),
    kw("ASC", Kind::Keyword, Word::None, false),
    kw("ASCII", Kind::Function, Word::None, true),
    kw("ASIN", Kind::Function, Word::None, true),
    kw("ATAN", Kind::Function, Word::None, true),
    kw("ATTACH", Kind::Statement, Word::Other, false),
    kw("AVG", Kind::Function, Word::None, true),
    kw("BACKUP", Kind::Statement, Word::Other, false),
    kw("BEGIN", Kind::Keyword, Word::None, false),
    kw("BENCHMARK", Kind::Function, Word::TimeFn, true),
    kw("BETWEEN", Kind::Cmp, Word::Between, false),
    kw("BIN", Kind::Function, Word::None, true),
    kw("BIT_LENGTH", Kind::Function, Word::None, true),
    kw("BY", Kind::Keyword, Word::By, false),
    kw("CALL", Kind::Statement, Word::Other, false),
    kw("CASE", Kind::Keyword, Word::Case, false),
    kw("CAST", Kind::Function, Word::None, true),
    kw("CEIL", Kind::Function, Word::None, true),
    kw("CEILING", Kind::Function, Word::None, true),
    kw("CHAR", Kind::Function, Word::CharFn, true),
    kw("CHARACTER_LENGTH", Kind::Function, Word::None, true),
    kw("CHARINDEX", Kind::Function, Word::None, true),
    kw("CHAR_LENGTH", Kind::Function, Word::None, true),
    kw("CHECKSUM", Kind::Function, Word::None, true),
    kw("CHR", Kind::Function, Word::None, true),
    kw("CLOSE", Kind::Statement, Word::Other, false),
    kw("COALESCE", Kind::Function, Word::None, true),
    kw("COLLATE", Kind::Keyword, Word::None, false),
    kw("COLUMN", Kind::Keyword, Word::Object, false),
    kw("COMMIT", Kind::Keyword, Word::None, false),
    kw("COMPRESS", Kind::Function, Word::None, true),
    kw("CONCAT", Kind::Function, Word::None, true),
    kw("CONCAT_WS", Kind::Function, Word::None, true),
    kw("CONNECTION_ID", Kind::Function, Word::None, true),
    kw("CONSTRAINT", Kind::Keyword, Word::None, false),
    kw("CONV", Kind::Function, Word::None, true),
    kw("CONVERT", Kind::Function, Word::None, true),
    kw("COPY", Kind::Statement, Word::Other, false),
    kw("COS", Kind::Function, Word::None, true),
    kw("COUNT", Kind::Function, Word::None, true),
    kw("CRC32", Kind::Function, Word::None, true),
    kw("CREATE", Kind::Statement, Word::Create, false),
    kw("CROSS", Kind::Keyword, Word::None, false),
    kw("CTXSYS.DRITHSX.SN", Kind::Function, Word::DangerFn, true),
    kw("CURDATE", Kind::Function, Word::None, true),
    kw("CURRENT_DATABASE", Kind::Function, Word::None, true),
    kw("CURRENT_DATE", Kind::Function, Word::None, true),
    kw("CURRENT_SCHEMA", Kind::Function, Word::None, true),
    kw("CURRENT_SETTING", Kind::Function, Word::None, true),
    kw("CURRENT_TIMESTAMP", Kind::Function, Word::None, true),
    kw("CURRENT_USER", Kind::Function, Word::None, true),
    kw("CURTIME", Kind::Function, Word::None, true),
    kw("DATABASE", Kind::Keyword, Word::Object, true),
    kw("DATALENGTH", Kind::Function, Word::None, true),
    kw("DATE", Kind::Function, Word::None, true),
    kw("DATEADD", Kind::Function, Word::None, true),
    kw("DATEDIFF", Kind::Function, Word::None, true),
    kw("DATEPART", Kind::Function, Word::None, true),
    kw("DATE_FORMAT", Kind::Function, Word::None, true),
    kw("DAY", Kind::Function, Word::None, true),
    kw("DBA_TABLES", Kind::Word, Word::SchemaTable, false),
    kw("DBA_USERS", Kind::Word, Word::SchemaTable, false),
    kw("DBCC", Kind::Statement, Word::Other, false),
    kw("DBMS_LOCK.SLEEP", Kind::Function, Word::TimeFn, true),
    kw("DBMS_PIPE.RECEIVE_MESSAGE", Kind::Function, Word::TimeFn, true),
    kw("DBMS_SESSION.SLEEP", Kind::Function, Word::TimeFn, true),
    kw("DBMS_UTILITY.SQLID_TO_SQLHASH", Kind::Function, Word::DangerFn, true),
    kw("DBMS_XMLGEN.GETXML", Kind::Function, Word::DangerFn, true),
    kw("DB_ID", Kind::Function, Word::None, true),
    kw("DB_NAME", Kind::Function, Word::None, true),
    kw("DEALLOCATE", Kind::Statement, Word::Other, false),
    kw("DECLARE", Kind::Statement, Word::Declare, false),
    kw("DECODE", Kind::Function, Word::None, true),
    kw("DEFAULT", Kind::Keyword, Word::None, false),
    kw("DEGREES", Kind::Function, Word::None, true),
    kw("DELAY", Kind::Keyword, Word::Delay, false),
    kw("DELETE", Kind::Statement, Word::Delete, false),
    kw("DESC", Kind::Keyword, Word::None, false),
    kw("DESCRIBE", Kind::Statement, Word::Other, false),
    kw("DETACH", Kind::Statement, Word::Other, false),
    kw("DISTINCT", Kind::Keyword, Word::All, false),
    kw("DISTINCTROW", Kind::Keyword, Word::All, false),
    kw("DIV", Kind::Op, Word::None, false),
    kw("DROP", Kind::Statement, Word::Drop, false),
    kw("DUAL", Kind::Keyword, Word::None, false),
    kw("DUMPFILE", Kind::Keyword, Word::Outfile, false),
    kw("ELSE", Kind::Keyword, Word::None, false),
    kw("ELT", Kind::Function, Word::None, true),
    kw("ENCODE", Kind::Function, Word::None, true),
    kw("ENCRYPT", Kind::Function, Word::None, true),
    kw("END", Kind::Keyword, Word::None, false),
    kw("ESCAPE", Kind::Keyword, Word::None, false),
    kw("ESCAPED", Kind::Keyword, Word::None, false),
    kw("EXCEPT", Kind::Union, Word::Union, false),
    kw("EXEC", Kind::Statement, Word::Exec, false),
    kw("EXECUTE", Kind::Statement, Word::Exec, false),
    kw("EXISTS", Kind::Function, Word::None, true),
    kw("EXP", Kind::Function, Word::None, true),
    kw("EXPLAIN", Kind::Statement, Word::Other, false),
    kw("EXPORT_SET", Kind::Function, Word::None, true),
    kw("EXTRACT", Kind::Function, Word::None, true),
    kw("EXTRACTVALUE", Kind::Function, Word::DangerFn, true),
    kw("FALSE", Kind::Lit, Word::None, false),
    kw("FETCH", Kind::Statement, Word::Other, false),
    kw("FETCH_FIRST", Kind::Keyword, Word::None, false),
    kw("FIELD", Kind::Function, Word::None, true),
    kw("FIND_IN_SET", Kind::Function, Word::None, true),
    kw("FLOOR", Kind::Function, Word::None, true),
    kw("FN_GET_AUDIT_FILE", Kind::Function, Word::DangerFn, true),
    kw("FN_TRACE_GETTABLE", Kind::Function, Word::DangerFn, true),
    kw("FN_XE_FILE_TARGET_READ_FILE", Kind::Function, Word::DangerFn, true),
    kw("FOR", Kind::Keyword, Word::None, false),
    kw("FOREIGN", Kind::Keyword, Word::None, false),
    kw("FORMAT", Kind::Function, Word::None, true),
    kw("FOUND_ROWS", Kind::Function, Word::None, true),
    kw("FROM", Kind::Keyword, Word::From, false),
    kw("FROM_BASE64", Kind::Function, Word::None, true),
    kw("FUNCTION", Kind::Keyword, Word::Object, false),
    kw("GEOMETRYCOLLECTION", Kind::Function, Word::DangerFn, true),
    kw("GETDATE", Kind::Function, Word::None, true),
    kw("GLOB", Kind::Cmp, Word::Like, false),
    kw("GRANT", Kind::Statement, Word::Grant, false),
    kw("GREATEST", Kind::Function, Word::None, true),
    kw("GROUP", Kind::Keyword, Word::Group, false),
    kw("GROUP_CONCAT", Kind::Function, Word::None, true),
    kw("GTID_SUBSET", Kind::Function, Word::DangerFn, true),
    kw("HANDLER", Kind::Statement, Word::Other, false),
    kw("HASHBYTES", Kind::Function, Word::None, true),
    kw("HAS_DBACCESS", Kind::Function, Word::DangerFn, true),
    kw("HAVING", Kind::Keyword, Word::Having, false),
    kw("HEX", Kind::Function, Word::None, true),
    kw("HEXTORAW", Kind::Function, Word::None, true),
    kw("HOST_NAME", Kind::Function, Word::None, true),
    kw("IDENTIFIED", Kind::Keyword, Word::None, false),
    kw("IF", Kind::Function, Word::None, true),
    kw("IFNULL", Kind::Function, Word::None, true),
    kw("IIF", Kind::Function, Word::None, true),
    kw("ILIKE", Kind::Cmp, Word::Like, false),
    kw("IMMEDIATE", Kind::Keyword, Word::Immediate, false),
    kw("IN", Kind::Cmp, Word::In, false),
    kw("INDEX", Kind::Keyword, Word::Object, false),
    kw("INET_ATON", Kind::Function, Word::None, true),
    kw("INET_NTOA", Kind::Function, Word::None, true),
    kw("INNER", Kind::Keyword, Word::None, false),
    kw("INSERT", Kind::Statement, Word::Insert, true),
    kw("INSTR", Kind::Function, Word::None, true),
    kw("INSTRB", Kind::Function, Word::None, true),
    kw("INTERSECT", Kind::Union, Word::Union, false),
    kw("INTO", Kind::Keyword, Word::Into, false),
    kw("IS", Kind::Cmp, Word::Is, false),
    kw("ISNULL", Kind::Function, Word::None, true),
    kw("IS_MEMBER", Kind::Function, Word::DangerFn, true),
    kw("IS_SRVROLEMEMBER", Kind::Function, Word::DangerFn, true),
    kw("JOIN", Kind::Keyword, Word::None, false),
    kw("JSON_EXTRACT", Kind::Function, Word::None, true),
    kw("JSON_KEYS", Kind::Function, Word::DangerFn, true),
    kw("KEY", Kind::Keyword, Word::None, false),
    kw("KILL", Kind::Statement, Word::Other, false),
    kw("LAST_INSERT_ID", Kind::Function, Word::None, true),
    kw("LCASE", Kind::Function, Word::None, true),
    kw("LEAST", Kind::Function, Word::None, true),
    kw("LEFT", Kind::Keyword, Word::None, true),
    kw("LEN", Kind::Function, Word::None, true),
    kw("LENGTH", Kind::Function, Word::None, true),
    kw("LIKE", Kind::Cmp, Word::Like, false),
    kw("LIKELIHOOD", Kind::Function, Word::None, true),
    kw("LIMIT", Kind::Keyword, Word::None, false),
    kw("LINESTRING", Kind::Function, Word::DangerFn, true),
    kw("LN", Kind::Function, Word::None, true),
    kw("LOAD", Kind::Statement, Word::Other, false),
    kw("LOAD_EXTENSION", Kind::Function, Word::DangerFn, true),
    kw("LOAD_FILE", Kind::Function, Word::DangerFn, true),
    kw("LOCATE", Kind::Function, Word::None, true),
    kw("LOCK", Kind::Keyword, Word::None, false),
    kw("LOG", Kind::Function, Word::None, true),
    kw("LOGIN", Kind::Keyword, Word::Object, false),
    kw("LOWER", Kind::Function, Word::None, true),
    kw("LO_EXPORT", Kind::Function, Word::DangerFn, true),
    kw("LO_IMPORT", Kind::Function, Word::DangerFn, true),
    kw("LPAD", Kind::Function, Word::None, true),
    kw("LTRIM", Kind::Function, Word::None, true),
    kw("MAKE_SET", Kind::Function, Word::None, true),
    kw("MASTER..SYSDATABASES", Kind::Word, Word::SchemaTable, false),
    kw("MASTER..XP_CMDSHELL", Kind::Word, Word::DangerName, false),
    kw("MASTER.DBO.XP_CMDSHELL", Kind::Word, Word::DangerName, false),
    kw("MATCH", Kind::Cmp, Word::Like, false),
    kw("MAX", Kind::Function, Word::None, true),
    kw("MD5", Kind::Function, Word::None, true),
    kw("MERGE", Kind::Statement, Word::Other, false),
    kw("MID", Kind::Function, Word::None, true),
    kw("MIN", Kind::Function, Word::None, true),
    kw("MINUS", Kind::Union, Word::Union, false),
    kw("MOD", Kind::Op, Word::None, false),
    kw("MONTH", Kind::Function, Word::None, true),
    kw("MULTILINESTRING", Kind::Function, Word::DangerFn, true),
    kw("MULTIPOINT", Kind::Function, Word::DangerFn, true),
    kw("MULTIPOLYGON", Kind::Function, Word::DangerFn, true),
    kw("MYSQL.DB", Kind::Word, Word::SchemaTable, false),
    kw("MYSQL.USER", Kind::Word, Word::SchemaTable, false),
    kw("NAME_CONST", Kind::Function, Word::DangerFn, true),
    kw("NATURAL", Kind::Keyword, Word::None, false),
    kw("NCHAR", Kind::Function, Word::None, true),
    kw("NOT", Kind::Logic, Word::Not, false),
    kw("NOW", Kind::Function, Word::None, true),
    kw("NOWAIT", Kind::Keyword, Word::None, false),
    kw("NULL", Kind::Lit, Word::None, false),
    kw("NULLIF", Kind::Function, Word::None, true),
    kw("NVL", Kind::Function, Word::None, true),
    kw("NVL2", Kind::Function, Word::None, true),
    kw("OBJECT_ID", Kind::Function, Word::None, true),
    kw("OBJECT_NAME", Kind::Function, Word::None, true),
    kw("OCT", Kind::Function, Word::None, true),
    kw("OFFSET", Kind::Keyword, Word::None, false),
    kw("ON", Kind::Keyword, Word::None, false),
    kw("OPEN", Kind::Statement, Word::Other, false),
    kw("OPENDATASOURCE", Kind::Function, Word::DangerFn, true),
    kw("OPENQUERY", Kind::Function, Word::DangerFn, true),
    kw("OPENROWSET", Kind::Function, Word::DangerFn, true),
    kw("OR", Kind::Logic, Word::None, false),
    kw("ORD", Kind::Function, Word::None, true),
    kw("ORDER", Kind::Keyword, Word::Order, false),
    kw("OUTER", Kind::Keyword, Word::None, false),
    kw("OUTFILE", Kind::Keyword, Word::Outfile, false),
    kw("OVER", Kind::Keyword, Word::None, false),
    kw("PARTITION", Kind::Keyword, Word::None, false),
    kw("PASSWORD", Kind::Function, Word::None, true),
    kw("PATINDEX", Kind::Function, Word::None, true),
    kw("PG_ATTRIBUTE", Kind::Word, Word::SchemaTable, false),
    kw("PG_CLASS", Kind::Word, Word::SchemaTable, false),
    kw("PG_DATABASE", Kind::Word, Word::SchemaTable, false),
    kw("PG_LS_DIR", Kind::Function, Word::DangerFn, true),
    kw("PG_NAMESPACE", Kind::Word, Word::SchemaTable, false),
    kw("PG_READ_BINARY_FILE", Kind::Function, Word::DangerFn, true),
    kw("PG_READ_FILE", Kind::Function, Word::DangerFn, true),
    kw("PG_SHADOW", Kind::Word, Word::SchemaTable, false),
    kw("PG_SLEEP", Kind::Function, Word::TimeFn, true),
    kw("PG_SLEEP_FOR", Kind::Function, Word::TimeFn, true),
    kw("PG_SLEEP_UNTIL", Kind::Function, Word::TimeFn, true),
    kw("PG_TABLES", Kind::Word, Word::SchemaTable, false),
    kw("PG_USER", Kind::Word, Word::SchemaTable, false),
    kw("PI", Kind::Function, Word::None, true),
    kw("POLYGON", Kind::Function, Word::DangerFn, true),
    kw("POSITION", Kind::Function, Word::None, true),
    kw("POW", Kind::Function, Word::None, true),
    kw("POWER", Kind::Function, Word::None, true),
    kw("PRAGMA", Kind::Statement, Word::Other, false),
    kw("PREPARE", Kind::Statement, Word::Other, false),
    kw("PRIMARY", Kind::Keyword, Word::None, false),
    kw("PRINTF", Kind::Function, Word::None, true),
    kw("PROCEDURE", Kind::Keyword, Word::Object, false),
    kw("PROCEDURE_ANALYSE", Kind::Keyword, Word::None, false),
    kw("QUERY_TO_XML", Kind::Function, Word::DangerFn, true),
    kw("QUOTE", Kind::Function, Word::None, true),
    kw("QUOTENAME", Kind::Function, Word::None, true),
    kw("RADIANS", Kind::Function, Word::None, true),
    kw("RAND", Kind::Function, Word::None, true),
    kw("RANDOM", Kind::Function, Word::None, true),
    kw("RANDOMBLOB", Kind::Function, Word::DangerFn, true),
    kw("RAWTOHEX", Kind::Function, Word::None, true),
    kw("RECONFIGURE", Kind::Statement, Word::Other, false),
    kw("REFERENCES", Kind::Keyword, Word::None, false),
    kw("REGEXP", Kind::Cmp, Word::Like, false),
    kw("REGEXP_LIKE", Kind::Function, Word::None, true),
    kw("REGEXP_REPLACE", Kind::Function, Word::None, true),
    kw("REGEXP_SUBSTR", Kind::Function, Word::None, true),
    kw("RENAME", Kind::Statement, Word::Alter, false),
    kw("REPEAT", Kind::Function, Word::None, true),
    kw("REPLACE", Kind::Statement, Word::Insert, true),
    kw("REPLICATE", Kind::Function, Word::None, true),
    kw("RESTORE", Kind::Statement, Word::Other, false),
    kw("RETURNING", Kind::Keyword, Word::None, false),
    kw("REVERSE", Kind::Function, Word::None, true),
    kw("REVOKE", Kind::Statement, Word::Grant, false),
    kw("RIGHT", Kind::Keyword, Word::None, true),
    kw("RLIKE", Kind::Cmp, Word::Like, false),
    kw("ROLLBACK", Kind::Keyword, Word::None, false),
    kw("ROUND", Kind::Function, Word::None, true),
    kw("ROW", Kind::Function, Word::None, true),
    kw("ROWNUM", Kind::Keyword, Word::None, false),
    kw("ROW_COUNT", Kind::Function, Word::None, true),
    kw("RPAD", Kind::Function, Word::None, true),
    kw("RTRIM", Kind::Function, Word::None, true),
    kw("SCHEMA", Kind::Keyword, Word::Object, true),
    kw("SCHEMA_NAME", Kind::Function, Word::None, true),
    kw("SELECT", Kind::Statement, Word::Select, false),
    kw("SESSION_USER", Kind::Function, Word::None, true),
    kw("SET", Kind::Statement, Word::Set, false),
    kw("SHA", Kind::Function, Word::None, true),
    kw("SHA1", Kind::Function, Word::None, true),
    kw("SHA2", Kind::Function, Word::None, true),
    kw("SHOW", Kind::Statement, Word::Other, false),
    kw("SHUTDOWN", Kind::Statement, Word::Shutdown, false),
    kw("SIGN", Kind::Function, Word::None, true),
    kw("SIMILAR", Kind::Cmp, Word::Like, false),
    kw("SIN", Kind::Function, Word::None, true),
    kw("SLEEP", Kind::Function, Word::TimeFn, true),
    kw("SOUNDEX", Kind::Function, Word::None, true),
    kw("SOUNDS", Kind::Keyword, Word::Sounds, false),
    kw("SPACE", Kind::Function, Word::None, true),
    kw("SP_ADDEXTENDEDPROC", Kind::Word, Word::DangerName, false),
    kw("SP_ADDLOGIN", Kind::Word, Word::DangerName, false),
    kw("SP_ADDSRVROLEMEMBER", Kind::Word, Word::DangerName, false),
    kw("SP_CONFIGURE", Kind::Word, Word::DangerName, false),
    kw("SP_EXECUTESQL", Kind::Word, Word::DangerName, false),
    kw("SP_MAKEWEBTASK", Kind::Word, Word::DangerName, false),
    kw("SP_OACREATE", Kind::Word, Word::DangerName, false),
    kw("SP_OAMETHOD", Kind::Word, Word::DangerName, false),
    kw("SP_PASSWORD", Kind::Word, Word::DangerName, false),
    kw("SQLITE_MASTER", Kind::Word, Word::SchemaTable, false),
    kw("SQLITE_SCHEMA", Kind::Word, Word::SchemaTable, false),
    kw("SQLITE_TEMP_MASTER", Kind::Word, Word::SchemaTable, false),
    kw("SQLITE_VERSION", Kind::Function, Word::None, true),
    kw("SQRT", Kind::Function, Word::None, true),
    kw("STR", Kind::Function, Word::None, true),
    kw("STRAIGHT_JOIN", Kind::Keyword, Word::None, false),
    kw("STRCMP", Kind::Function, Word::None, true),
    kw("STRING_AGG", Kind::Function, Word::None, true),
    kw("STUFF", Kind::Function, Word::None, true),
    kw("ST_LATFROMGEOHASH", Kind::Function, Word::DangerFn, true),
    kw("ST_LONGFROMGEOHASH", Kind::Function, Word::DangerFn, true),
    kw("ST_POINTFROMGEOHASH", Kind::Function, Word::DangerFn, true),
    kw("SUBSTR", Kind::Function, Word::None, true),
    kw("SUBSTRING", Kind::Function, Word::None, true),
    kw("SUBSTRING_INDEX", Kind::Function, Word::None, true),
    kw("SUM", Kind::Function, Word::None, true),
    kw("SUSER_NAME", Kind::Function, Word::None, true),
    kw("SUSER_SNAME", Kind::Function, Word::None, true),
    kw("SYS.COLUMNS", Kind::Word, Word::SchemaTable, false),
    kw("SYS.DATABASES", Kind::Word, Word::SchemaTable, false),
    kw("SYS.DBMS_LOCK.SLEEP", Kind::Function, Word::TimeFn, true),
    kw("SYS.OBJECTS", Kind::Word, Word::SchemaTable, false),
    kw("SYS.SERVER_PRINCIPALS", Kind::Word, Word::SchemaTable, false),
    kw("SYS.SQL_LOGINS", Kind::Word, Word::SchemaTable, false),
    kw("SYS.TABLES", Kind::Word, Word::SchemaTable, false),
    kw("SYSCOLUMNS", Kind::Word, Word::SchemaTable, false),
    kw("SYSDATABASES", Kind::Word, Word::SchemaTable, false),
    kw("SYSDATE", Kind::Function, Word::None, true),
    kw("SYSLOGINS", Kind::Word, Word::SchemaTable, false),
    kw("SYSOBJECTS", Kind::Word, Word::SchemaTable, false),
    kw("SYSTEM_USER", Kind::Function, Word::None, true),
    kw("SYSUSERS", Kind::Word, Word::SchemaTable, false),
    kw("SYS_CONTEXT", Kind::Function, Word::None, true),
    kw("SYS_EVAL", Kind::Function, Word::DangerFn, true),
    kw("SYS_EXEC", Kind::Function, Word::DangerFn, true),
    kw("TABLE", Kind::Keyword, Word::Object, false),
    kw("TABLES", Kind::Keyword, Word::Object, false),
    kw("TAN", Kind::Function, Word::None, true),
    kw("THEN", Kind::Keyword, Word::None, false),
    kw("TIME", Kind::Keyword, Word::Time, true),
    kw("TOP", Kind::Keyword, Word::All, false),
    kw("TO_BASE64", Kind::Function, Word::None, true),
    kw("TO_CHAR", Kind::Function, Word::None, true),
    kw("TO_NUMBER", Kind::Function, Word::None, true),
    kw("TRANSLATE", Kind::Function, Word::None, true),
    kw("TRIGGER", Kind::Keyword, Word::Object, false),
    kw("TRIM", Kind::Function, Word::None, true),
    kw("TRUE", Kind::Lit, Word::None, false),
    kw("TRUNCATE", Kind::Statement, Word::Truncate, true),
    kw("TYPEOF", Kind::Function, Word::None, true),
    kw("UCASE", Kind::Function, Word::None, true),
    kw("UNCOMPRESS", Kind::Function, Word::None, true),
    kw("UNHEX", Kind::Function, Word::None, true),
    kw("UNICODE", Kind::Function, Word::None, true),
    kw("UNION", Kind::Union, Word::Union, false),
    kw("UNKNOWN", Kind::Lit, Word::None, false),
    kw("UNLIKELY", Kind::Function, Word::None, true),
    kw("UPDATE", Kind::Statement, Word::Update, false),
    kw("UPDATEXML", Kind::Function, Word::DangerFn, true),
    kw("UPPER", Kind::Function, Word::None, true),
    kw("USER", Kind::Keyword, Word::Object, true),
    kw("USER_TABLES", Kind::Word, Word::SchemaTable, false),
    kw("USER_TAB_COLUMNS", Kind::Word, Word::SchemaTable, false),
    kw("USING", Kind::Keyword, Word::None, false),
    kw("UTL_HTTP.REQUEST", Kind::Function, Word::DangerFn, true),
    kw("UTL_INADDR.GET_HOST_ADDRESS", Kind::Function, Word::DangerFn, true),
    kw("UTL_INADDR.GET_HOST_NAME", Kind::Function, Word::DangerFn, true),
    kw("UTL_RAW.CAST_TO_VARCHAR2", Kind::Function, Word::None, true),
    kw("UUID", Kind::Function, Word::None, true),
    kw("V$VERSION", Kind::Word, Word::SchemaTable, false),
    kw("VACUUM", Kind::Statement, Word::Other, false),
    kw("VALUES", Kind::Keyword, Word::Values, true),
    kw("VERSION", Kind::Function, Word::None, true),
    kw("VIEW", Kind::Keyword, Word::Object, false),
    kw("WAITFOR", Kind::Statement, Word::Waitfor, false),
    kw("WEEK", Kind::Function, Word::None, true),
    kw("WHEN", Kind::Keyword, Word::None, false),
    kw("WHERE", Kind::Keyword, Word::Where, false),
    kw("WINDOW", Kind::Keyword, Word::None, false),
    kw("WITH", Kind::Keyword, Word::With, false),
    kw("XMLTYPE", Kind::Function, Word::DangerFn, true),
    kw("XOR", Kind::Logic, Word::None, false),
    kw("XP_AVAILABLEMEDIA", Kind::Word, Word::DangerName, false),
    kw("XP_CMDSHELL", Kind::Word, Word::DangerName, false),
    kw("XP_DIRTREE", Kind::Word, Word::DangerName, false),
    kw("XP_FILEEXIST", Kind::Word, Word::DangerName, false),
    kw("XP_LOGININFO", Kind::Word, Word::DangerName, false),
    kw("XP_REGREAD", Kind::Word, Word::DangerName, false),
    kw("XP_REGWRITE", Kind::Word, Word::DangerName, false),
    kw("XP_SERVICECONTROL", Kind::Word, Word::DangerName, false),
    kw("XP_SUBDIRS", Kind::Word, Word::DangerName, false),
    kw("YEAR", Kind::Function, Word::None, true),
    kw("ZEROBLOB", Kind::Function, Word::None, true),
];
