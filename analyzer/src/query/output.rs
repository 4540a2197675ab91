//! Result writers: an aligned text table (buffered, bounded by the result cap), JSON Lines (one object per row,
//! streamed; null fields left out as GetQueryResults leaves them out) and CSV (RFC 4180 quoting, streamed).

use std::io::{self, Write};

use super::value::Val;

/// The `--format` of `moatctl query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns with a header line.
    #[default]
    Table,
    /// One JSON object per line.
    Json,
    /// Comma-separated values with a header line.
    Csv,
}

/// Receives result rows (values in column order are picked by the writer from slots).
pub trait RowWriter {
    /// Writes one row (a full slot vector).
    fn write(&mut self, row: &[Val<'static>]) -> io::Result<()>;
    /// Writes whatever is buffered.
    fn finish(&mut self) -> io::Result<()>;
}

/// A writer of one of the [`Format`]s over `columns` (`(name, slot)`).
pub struct Writer<W: Write> {
    format: Format,
    columns: Vec<(String, usize)>,
    out: W,
    table: Vec<Vec<String>>,
    header_done: bool,
}

impl<W: Write> Writer<W> {
    /// A writer for these columns.
    pub fn new(format: Format, columns: Vec<(String, usize)>, out: W) -> Writer<W> {
        Writer {
            format,
            columns,
            out,
            table: Vec::new(),
            header_done: false,
        }
    }

    /// The underlying output.
    pub fn into_inner(self) -> W {
        self.out
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn json_value(v: &Val<'_>) -> serde_json::Value {
    match v {
        Val::Null => serde_json::Value::Null,
        Val::Bool(b) => serde_json::Value::Bool(*b),
        Val::Num(n) if n.fract() == 0.0 && n.abs() < 9e15 => serde_json::Value::from(*n as i64),
        Val::Num(n) => serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, serde_json::Value::Number),
        other => serde_json::Value::String(other.render().into_owned()),
    }
}

impl<W: Write> RowWriter for Writer<W> {
    fn write(&mut self, row: &[Val<'static>]) -> io::Result<()> {
        let value = |slot: usize| row.get(slot).unwrap_or(&Val::Null);
        match self.format {
            Format::Table => {
                self.table.push(
                    self.columns
                        .iter()
                        .map(|(_, s)| value(*s).render().replace(['\n', '\t'], " "))
                        .collect(),
                );
                Ok(())
            }
            Format::Json => {
                // Written by hand to keep the column order (serde_json's map would sort the keys).
                let mut first = true;
                self.out.write_all(b"{")?;
                for (name, slot) in &self.columns {
                    let v = value(*slot);
                    if v.is_null() {
                        continue;
                    }
                    if !first {
                        self.out.write_all(b",")?;
                    }
                    first = false;
                    serde_json::to_writer(&mut self.out, name)?;
                    self.out.write_all(b":")?;
                    serde_json::to_writer(&mut self.out, &json_value(v))?;
                }
                self.out.write_all(b"}\n")
            }
            Format::Csv => {
                if !self.header_done {
                    self.header_done = true;
                    let header: Vec<String> = self.columns.iter().map(|(n, _)| csv_field(n)).collect();
                    writeln!(self.out, "{}", header.join(","))?;
                }
                let fields: Vec<String> = self
                    .columns
                    .iter()
                    .map(|(_, s)| csv_field(&value(*s).render()))
                    .collect();
                writeln!(self.out, "{}", fields.join(","))
            }
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        match self.format {
            Format::Table => {
                let mut widths: Vec<usize> = self.columns.iter().map(|(n, _)| n.chars().count()).collect();
                for row in &self.table {
                    for (w, cell) in widths.iter_mut().zip(row) {
                        *w = (*w).max(cell.chars().count());
                    }
                }
                let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
                    let parts: Vec<String> = cells
                        .zip(&widths)
                        .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                        .collect();
                    parts.join("  ").trim_end().to_owned()
                };
                writeln!(self.out, "{}", line(&mut self.columns.iter().map(|(n, _)| n.as_str())))?;
                writeln!(
                    self.out,
                    "{}",
                    line(
                        &mut widths
                            .iter()
                            .map(|w| "-".repeat(*w))
                            .collect::<Vec<_>>()
                            .iter()
                            .map(String::as_str)
                    )
                )?;
                for row in std::mem::take(&mut self.table) {
                    writeln!(self.out, "{}", line(&mut row.iter().map(String::as_str)))?;
                }
            }
            Format::Csv if !self.header_done => {
                self.header_done = true;
                let header: Vec<String> = self.columns.iter().map(|(n, _)| csv_field(n)).collect();
                writeln!(self.out, "{}", header.join(","))?;
            }
            _ => {}
        }
        self.out.flush()
    }
}
