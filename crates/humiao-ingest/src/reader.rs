//! Reading a department file (CSV or XLSX) into raw rows of text cells.
//!
//! The reader decides the format by extension and checks the content agrees, decodes CSV text
//! (UTF-8 or GBK), finds the header row, checks the mapped columns exist, and then yields the
//! data rows one by one with the line number a spreadsheet shows for them.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use calamine::{Data, Range, Reader, Xlsx};
use encoding_rs::{GB18030, UTF_8};

use crate::mapping::{Mapping, TextEncoding};
use crate::validate::HeaderIndex;

/// One row as received: the text of each cell, header order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// 1-based row number as a spreadsheet shows it (for CSV: the record's row, counting
    /// blank lines but not line breaks inside quoted cells).
    pub line: usize,
    pub cells: Vec<String>,
}

impl RawRow {
    /// Whether every cell is blank.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// A file that cannot be read as a whole. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("无法读取文件 {file}：{source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "文件 {file} 的类型不受支持（扩展名“{extension}”）：只能导入 .csv、.txt 或 .xlsx 文件"
    )]
    UnsupportedFormat { file: String, extension: String },
    #[error("文件 {file} 不是文本（CSV）文件：{detail}")]
    NotText { file: String, detail: String },
    #[error("文件 {file} 不是有效的 .xlsx 文件：{detail}")]
    NotXlsx { file: String, detail: String },
    #[error("文件 {file} 不是有效的 UTF-8 文本：第 {line} 行（第 {byte} 字节）有无效字节；如为 GBK 编码请在映射文件中写 encoding = \"gbk\"")]
    InvalidUtf8 {
        file: String,
        line: usize,
        byte: usize,
    },
    #[error("文件 {file} 不是有效的 GBK 文本：第 {line} 行有无法识别的字节")]
    InvalidGbk { file: String, line: usize },
    #[error("无法识别文件 {file} 的字符编码（既不是 UTF-8 也不是 GBK/GB18030）")]
    UnknownEncoding { file: String },
    #[error("文件 {file} 是 UTF-16 编码，映射文件却指定了 encoding = \"{declared}\"；请另存为 UTF-8，或使用 encoding = \"auto\"")]
    Utf16 {
        file: String,
        declared: &'static str,
    },
    #[error("无法读取 .xlsx 文件 {file}：{message}")]
    Xlsx { file: String, message: String },
    #[error("文件 {file} 中没有工作表“{sheet}”（现有：{available}）")]
    SheetNotFound {
        file: String,
        sheet: String,
        available: String,
    },
    #[error("文件 {file} 在第 {header_row} 行及以后没有表头（文件为空？）")]
    NoHeader { file: String, header_row: usize },
    #[error("文件 {file} 缺少映射文件 {mapping} 中的列：{}", quote_list(.columns))]
    MissingColumns {
        file: String,
        mapping: String,
        columns: Vec<String>,
    },
    #[error("文件 {file} 中映射文件 {mapping} 用到的列出现了不止一次：{}", quote_list(.columns))]
    DuplicateColumns {
        file: String,
        mapping: String,
        columns: Vec<String>,
    },
    #[error("文件 {file} 第 {line} 行无法解析：{message}")]
    Csv {
        file: String,
        line: usize,
        message: String,
    },
}

fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|c| format!("“{c}”"))
        .collect::<Vec<_>>()
        .join("、")
}

impl ReadError {
    /// The row a row-level error is about, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Csv { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// The format of a department file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    /// By extension: `.csv`/`.txt` are CSV, `.xlsx`/`.xlsm` are XLSX.
    pub fn of_path(path: &Path) -> Result<Self, ReadError> {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match extension.as_str() {
            "csv" | "txt" => Ok(Self::Csv),
            "xlsx" | "xlsm" => Ok(Self::Xlsx),
            _ => Err(ReadError::UnsupportedFormat {
                file: display_name(path),
                extension: if extension.is_empty() {
                    "无".to_string()
                } else {
                    format!(".{extension}")
                },
            }),
        }
    }
}

/// The file's name for messages (the whole path as given).
fn display_name(path: &Path) -> String {
    path.display().to_string()
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Rows of a department file, after its header. Iterating yields the data rows, blank rows
/// skipped; an `Err` item is a row that could not be read at all (the file goes on).
pub struct RowReader {
    file: String,
    format: FileFormat,
    header_index: HeaderIndex,
    header_line: usize,
    total_rows: Option<u64>,
    inner: Inner,
}

enum Inner {
    Csv(CsvRows),
    Xlsx(XlsxRows),
}

impl std::fmt::Debug for RowReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader")
            .field("file", &self.file)
            .field("format", &self.format)
            .field("header_line", &self.header_line)
            .field("total_rows", &self.total_rows)
            .finish_non_exhaustive()
    }
}

impl RowReader {
    /// Opens a file as the mapping describes it, reads its header and checks that every mapped
    /// column is there.
    pub fn open(path: &Path, mapping: &Mapping) -> Result<Self, ReadError> {
        let file = display_name(path);
        let format = FileFormat::of_path(path)?;
        let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
            file: file.clone(),
            source,
        })?;
        let (inner, header, header_line, total_rows) = match format {
            FileFormat::Csv => {
                let text = decode_text(&bytes, mapping.encoding, &file)?;
                drop(bytes);
                let total = text.matches('\n').count() + usize::from(!text.ends_with('\n'));
                let mut rows = CsvRows::new(text, mapping.delimiter, file.clone());
                let header = find_header(&mut rows, mapping.header_row, &file)?;
                let line = header.line;
                (
                    Inner::Csv(rows),
                    header,
                    line,
                    Some(total.saturating_sub(line) as u64),
                )
            }
            FileFormat::Xlsx => {
                check_xlsx_magic(&bytes, &file)?;
                let range = read_sheet(bytes, mapping.sheet.as_deref(), &file)?;
                let mut rows = XlsxRows::new(range);
                let header = find_header(&mut rows, mapping.header_row, &file)?;
                let (line, total) = (header.line, rows.last_line.saturating_sub(header.line));
                (Inner::Xlsx(rows), header, line, Some(total as u64))
            }
        };
        let headers: Vec<String> = header.cells.iter().map(|h| h.trim().to_string()).collect();
        let header_index = HeaderIndex::new(&headers, mapping, &file)?;
        Ok(Self {
            file,
            format,
            header_index,
            header_line,
            total_rows,
            inner,
        })
    }

    /// Column names (trimmed), in file order.
    pub fn headers(&self) -> &[String] {
        self.header_index.headers()
    }

    pub fn header_index(&self) -> &HeaderIndex {
        &self.header_index
    }

    /// Line of the header row.
    pub fn header_line(&self) -> usize {
        self.header_line
    }

    /// Rows after the header, for progress: exact lines of the sheet for XLSX, physical lines
    /// for CSV (blank lines and line breaks inside quotes make it an upper bound).
    pub fn total_rows(&self) -> Option<u64> {
        self.total_rows
    }

    /// The file as named in messages.
    pub fn file_name(&self) -> &str {
        &self.file
    }

    pub fn format(&self) -> FileFormat {
        self.format
    }
}

impl Iterator for RowReader {
    type Item = Result<RawRow, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let row = match &mut self.inner {
                Inner::Csv(rows) => rows.next_row()?,
                Inner::Xlsx(rows) => Ok(rows.next_row()?),
            };
            match row {
                Ok(row) if row.is_blank() => continue,
                other => return Some(other),
            }
        }
    }
}

trait RowSource {
    fn next_row(&mut self) -> Option<Result<RawRow, ReadError>>;
}

/// The first non-blank row at or after `header_row`; rows before it are skipped.
fn find_header(
    rows: &mut dyn RowSource,
    header_row: usize,
    file: &str,
) -> Result<RawRow, ReadError> {
    while let Some(row) = rows.next_row() {
        let row = row?;
        if row.line >= header_row && !row.is_blank() {
            return Ok(row);
        }
    }
    Err(ReadError::NoHeader {
        file: file.to_string(),
        header_row,
    })
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Decodes a CSV file's bytes as the mapping says, refusing what is not text.
pub(crate) fn decode_text(
    bytes: &[u8],
    encoding: TextEncoding,
    file: &str,
) -> Result<String, ReadError> {
    let not_text = |detail: &str| ReadError::NotText {
        file: file.to_string(),
        detail: detail.to_string(),
    };
    if bytes.starts_with(ZIP_MAGIC) {
        return Err(not_text(
            "内容是 ZIP 压缩包（可能是改了扩展名的 .xlsx 文件）",
        ));
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Err(not_text(
            "内容是旧版 Excel 97-2003（.xls）文件，请另存为 .xlsx 或 CSV",
        ));
    }
    // UTF-16 (Excel's "Unicode text") announces itself with a BOM.
    if let Some((utf16, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        if utf16 != UTF_8 {
            if encoding != TextEncoding::Auto {
                return Err(ReadError::Utf16 {
                    file: file.to_string(),
                    declared: encoding.as_str(),
                });
            }
            let (text, had_errors) = utf16.decode_without_bom_handling(&bytes[bom_len..]);
            if had_errors {
                return Err(ReadError::UnknownEncoding {
                    file: file.to_string(),
                });
            }
            return check_text(text.into_owned(), file);
        }
    }
    if bytes.contains(&0) {
        return Err(not_text("内容含有二进制数据"));
    }
    let utf8 = std::str::from_utf8(bytes);
    let text: Cow<'_, str> = match (encoding, utf8) {
        (TextEncoding::Auto | TextEncoding::Utf8, Ok(s)) => Cow::Borrowed(s),
        (TextEncoding::Utf8, Err(e)) => {
            let at = e.valid_up_to();
            return Err(ReadError::InvalidUtf8 {
                file: file.to_string(),
                line: bytes[..at].iter().filter(|b| **b == b'\n').count() + 1,
                byte: at + 1,
            });
        }
        (TextEncoding::Auto, Err(_)) => {
            let (text, had_errors) = GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                return Err(ReadError::UnknownEncoding {
                    file: file.to_string(),
                });
            }
            text
        }
        (TextEncoding::Gbk, _) => {
            let (text, had_errors) = GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                let bad = text.find('\u{FFFD}').unwrap_or(0);
                return Err(ReadError::InvalidGbk {
                    file: file.to_string(),
                    line: text[..bad].matches('\n').count() + 1,
                });
            }
            text
        }
    };
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text).to_string();
    check_text(text, file)
}

/// Refuses decoded "text" that is mostly control characters (a binary file that happened to
/// decode).
fn check_text(text: String, file: &str) -> Result<String, ReadError> {
    let sample = text.chars().take(4096);
    let (mut total, mut control) = (0usize, 0usize);
    for c in sample {
        total += 1;
        if c.is_control() && !matches!(c, '\t' | '\r' | '\n' | '\x0c') {
            control += 1;
        }
    }
    if control > 0 && control * 100 >= total {
        return Err(ReadError::NotText {
            file: file.to_string(),
            detail: "内容含有大量控制字符，像是二进制文件".to_string(),
        });
    }
    Ok(text)
}

struct CsvRows {
    reader: csv::Reader<std::io::Cursor<Vec<u8>>>,
    record: csv::StringRecord,
    file: String,
    /// Bytes of the text already scanned for line breaks, and the breaks found in them.
    scanned: usize,
    newlines: usize,
    /// Line breaks inside quoted cells so far: physical lines that are not rows.
    embedded_newlines: usize,
    done: bool,
}

impl CsvRows {
    fn new(text: String, delimiter: u8, file: String) -> Self {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(std::io::Cursor::new(text.into_bytes()));
        Self {
            reader,
            record: csv::StringRecord::new(),
            file,
            scanned: 0,
            newlines: 0,
            embedded_newlines: 0,
            done: false,
        }
    }

    /// The spreadsheet row of a record starting at byte `start`. The csv crate reports the
    /// position before the line breaks it skips (a blank line, the `\n` of a `\r\n`), so the
    /// lines are counted here.
    fn row_at(&mut self, start: usize) -> usize {
        let text = self.reader.get_ref().get_ref();
        let mut start = start.min(text.len());
        while matches!(text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.scanned {
            self.newlines += text[self.scanned..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.scanned = start;
        }
        (self.newlines + 1).saturating_sub(self.embedded_newlines)
    }
}

impl RowSource for CsvRows {
    fn next_row(&mut self) -> Option<Result<RawRow, ReadError>> {
        if self.done {
            return None;
        }
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {
                let start = self.record.position().map_or(0, |p| p.byte() as usize);
                let line = self.row_at(start);
                self.embedded_newlines += self
                    .record
                    .iter()
                    .map(|cell| cell.matches('\n').count())
                    .sum::<usize>();
                let cells = self.record.iter().map(str::to_string).collect();
                Some(Ok(RawRow { line, cells }))
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                // Cannot happen for in-memory UTF-8 text, but never loop on an error.
                self.done = true;
                let start = e.position().map_or(self.scanned, |p| p.byte() as usize);
                Some(Err(ReadError::Csv {
                    file: self.file.clone(),
                    line: self.row_at(start),
                    message: e.to_string(),
                }))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XLSX

fn check_xlsx_magic(bytes: &[u8], file: &str) -> Result<(), ReadError> {
    if bytes.starts_with(ZIP_MAGIC) {
        return Ok(());
    }
    let detail = if bytes.starts_with(OLE_MAGIC) {
        "这是旧版 Excel 97-2003（.xls）文件，请在 Excel 中另存为 .xlsx"
    } else if bytes.is_empty() {
        "文件为空"
    } else {
        "内容不是 Excel 工作簿（.xlsx 应为 ZIP 格式），可能是改了扩展名的其他文件"
    };
    Err(ReadError::NotXlsx {
        file: file.to_string(),
        detail: detail.to_string(),
    })
}

fn read_sheet(bytes: Vec<u8>, sheet: Option<&str>, file: &str) -> Result<Range<Data>, ReadError> {
    let xlsx_error = |e: calamine::XlsxError| ReadError::Xlsx {
        file: file.to_string(),
        message: e.to_string(),
    };
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsxError::Zip(z) => ReadError::NotXlsx {
            file: file.to_string(),
            detail: format!("ZIP 结构损坏（{z}）"),
        },
        other => xlsx_error(other),
    })?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.trim() == wanted)
            .cloned()
            .ok_or_else(|| ReadError::SheetNotFound {
                file: file.to_string(),
                sheet: wanted.to_string(),
                available: names.join("、"),
            })?,
        None => names.first().cloned().ok_or_else(|| ReadError::Xlsx {
            file: file.to_string(),
            message: "工作簿中没有工作表".to_string(),
        })?,
    };
    workbook.worksheet_range(&name).map_err(xlsx_error)
}

struct XlsxRows {
    range: Range<Data>,
    /// Absolute 0-based row and column of the range's first cell.
    start: (usize, usize),
    /// Next row to read, relative to the range.
    next: usize,
    /// Line of the last row in the sheet.
    last_line: usize,
}

impl XlsxRows {
    fn new(range: Range<Data>) -> Self {
        let start = range
            .start()
            .map_or((0, 0), |(r, c)| (r as usize, c as usize));
        let last_line = range.end().map_or(0, |(r, _)| r as usize + 1);
        Self {
            range,
            start,
            next: 0,
            last_line,
        }
    }

    fn next_row(&mut self) -> Option<RawRow> {
        let (height, width) = self.range.get_size();
        if self.next >= height {
            return None;
        }
        let r = self.next;
        self.next += 1;
        let cells = (0..width)
            .map(|c| self.range.get((r, c)).map_or_else(String::new, cell_text))
            .collect();
        Some(RawRow {
            line: self.start.0 + r + 1,
            cells,
        })
    }
}

impl RowSource for XlsxRows {
    fn next_row(&mut self) -> Option<Result<RawRow, ReadError>> {
        XlsxRows::next_row(self).map(Ok)
    }
}

/// The text of a spreadsheet cell: dates as ISO `YYYY-MM-DD`, whole numbers without `.0`,
/// other numbers as Excel shows them (15 significant digits).
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
            if dt.as_f64() < 1.0 {
                // A time of day without a date.
                format!("{hh:02}:{mm:02}:{ss:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02}")
            }
        }
        Data::DateTime(dt) => number_text(dt.as_f64()),
        Data::DateTimeIso(s) => {
            let date = s.get(..10).unwrap_or(s);
            if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok() {
                date.to_string()
            } else {
                s.clone()
            }
        }
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

/// A spreadsheet number as text: integers plainly, others rounded to the 15 significant digits
/// Excel keeps (so `0.1 + 0.2` reads `0.3`).
pub fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    if rounded == 0.0 {
        return "0".to_string();
    }
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        return format!("{rounded:.0}");
    }
    rounded.to_string()
}

/// SHA-256 of a file's bytes, hex.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(text: &str) -> Vec<RawRow> {
        let mut rows = CsvRows::new(text.to_string(), b',', "t.csv".into());
        std::iter::from_fn(|| rows.next_row())
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn csv_lines_count_blank_lines_but_not_breaks_inside_quotes() {
        let rows = rows_of("a,b\n1,2\n\n3,\"x\ny\"\n4,5\r\n6,7\r\n\r\n\n8,9\n");
        let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 4, 5, 6, 9]);
        assert_eq!(rows[2].cells[1], "x\ny");
    }

    #[test]
    fn numbers_print_like_a_spreadsheet() {
        assert_eq!(number_text(110105194912310.0), "110105194912310");
        assert_eq!(number_text(330109001201002.0), "330109001201002");
        assert_eq!(number_text(1234.5), "1234.5");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(3.0), "3");
        assert_eq!(number_text(-12.25), "-12.25");
    }

    #[test]
    fn decoding_follows_the_declared_encoding() {
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,性别\n张三,男\n");
        assert_eq!(
            decode_text(&gbk, TextEncoding::Auto, "f").unwrap(),
            "姓名,性别\n张三,男\n"
        );
        assert_eq!(
            decode_text(&gbk, TextEncoding::Gbk, "f").unwrap(),
            "姓名,性别\n张三,男\n"
        );
        match decode_text(&gbk, TextEncoding::Utf8, "f.csv") {
            Err(ReadError::InvalidUtf8 { line, byte, file }) => {
                assert_eq!((line, byte, file.as_str()), (1, 1, "f.csv"));
            }
            other => panic!("{other:?}"),
        }
        let bom = "\u{FEFF}a,b\n".as_bytes();
        assert_eq!(decode_text(bom, TextEncoding::Auto, "f").unwrap(), "a,b\n");
        let mut le = vec![0xFF, 0xFE];
        for unit in "姓名\tx\n".encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(
            decode_text(&le, TextEncoding::Auto, "f").unwrap(),
            "姓名\tx\n"
        );
        assert!(matches!(
            decode_text(&le, TextEncoding::Gbk, "f"),
            Err(ReadError::Utf16 { .. })
        ));
    }

    #[test]
    fn binary_content_is_not_text() {
        for bytes in [
            &b"PK\x03\x04rest"[..],
            &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0][..],
            &b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..],
            &b"\x01\x02\x03\x04\x05\x06\x07\x08abc"[..],
        ] {
            assert!(
                matches!(
                    decode_text(bytes, TextEncoding::Auto, "f"),
                    Err(ReadError::NotText { .. })
                ),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn excel_dates_become_iso_dates() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        let date = Data::DateTime(ExcelDateTime::new(
            45943.0,
            ExcelDateTimeType::DateTime,
            false,
        ));
        assert_eq!(cell_text(&date), "2025-10-13");
        assert_eq!(
            cell_text(&Data::DateTimeIso("2026-01-05T00:00:00".into())),
            "2026-01-05"
        );
        assert_eq!(cell_text(&Data::Float(2.0)), "2");
    }
}
