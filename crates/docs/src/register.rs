//! The registers of Decree 30/2020 Appendix IV for a period: rows with the
//! appendix's columns, and their export as a spreadsheet (XLSX, laid out to
//! print on A4 landscape with the header repeated on every page) or CSV.
//!
//! XLSX is written with `rust_xlsxwriter` because clerks print registers and
//! file them: a workbook keeps column widths, wrapping, borders and the
//! print setup, which CSV cannot; CSV (UTF-8 with a byte-order mark, so
//! spreadsheet programs read Vietnamese correctly) is there for scripts.
//! The PDF rendering of registers is left to the rendering step.

use std::collections::BTreeMap;

use congso_core::access::Action;
use congso_store::accounts;
use congso_store::documents::{self as store, DocumentRow, Filter, Order};
use congso_vn::time::Date;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
use serde::Serialize;

use crate::error::{DocsError, Result};
use crate::model::{parse_iso_date, Direction, DocumentMetadata};
use crate::service::{vn_date, vn_day_start, Acting, Service};

/// Which register, for which period (inclusive dates, Vietnam time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterQuery {
    pub direction: Direction,
    /// The secret book instead of the ordinary one.
    pub secret: bool,
    pub from: Date,
    pub until: Date,
}

/// A register: its title, the Appendix IV column headings and one row per
/// document, as text ready to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Register {
    pub title: String,
    pub period: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub document_ids: Vec<i64>,
}

/// Appendix IV, incoming register (Sổ đăng ký văn bản đến).
pub const INCOMING_HEADERS: [&str; 10] = [
    "Ngày đến",
    "Số đến",
    "Tác giả",
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung",
    "Đơn vị hoặc người nhận",
    "Ngày chuyển",
    "Ký nhận",
    "Ghi chú",
];

/// Appendix IV, outgoing register (Sổ đăng ký văn bản đi).
pub const OUTGOING_HEADERS: [&str; 10] = [
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung",
    "Người ký",
    "Nơi nhận văn bản",
    "Đơn vị, người nhận bản lưu",
    "Số lượng bản",
    "Ngày chuyển",
    "Ký nhận",
    "Ghi chú",
];

/// Most rows one register holds (a year of a large ministry's mail).
const REGISTER_MAX_ROWS: u32 = 200_000;
const PAGE: u32 = 5_000;

/// `dd/mm/yyyy`, as registers are written.
pub fn vn_date_text(date: Date) -> String {
    format!(
        "{:02}/{:02}/{:04}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

fn date_cell(iso: Option<&str>) -> String {
    iso.and_then(parse_iso_date)
        .map(vn_date_text)
        .unwrap_or_default()
}

fn moment_cell(micros: Option<i64>) -> String {
    micros
        .map(|micros| vn_date_text(vn_date(congso_core::time::Timestamp(micros))))
        .unwrap_or_default()
}

impl Service {
    /// The register of a period: incoming documents by arrival date,
    /// outgoing ones by issue date, in number order.
    pub async fn register(&self, acting: &Acting, query: RegisterQuery) -> Result<Register> {
        acting.require(Action::DocumentRegisterView)?;
        if query.until < query.from {
            return Err(DocsError::Invalid(vec![crate::model::FieldError::new(
                "until",
                "malformed",
                "ngày kết thúc trước ngày bắt đầu",
            )]));
        }
        let book = match (query.direction, query.secret) {
            (Direction::Incoming, false) => "incoming",
            (Direction::Incoming, true) => "incoming_secret",
            (Direction::Outgoing, false) => "outgoing",
            (Direction::Outgoing, true) => "outgoing_secret",
        };
        let mut rows: Vec<DocumentRow> = Vec::new();
        let mut offset = 0;
        loop {
            let filter = Filter {
                organization_id: Some(self.agency().organization_id),
                direction: Some(query.direction.code().to_owned()),
                books: vec![book.to_owned()],
                registered_from: Some(vn_day_start(query.from)),
                registered_until: query.until.next_day().map(vn_day_start),
                numbered_only: true,
                include_recalled: true,
                order: Order::Register,
                limit: PAGE,
                offset,
                ..Default::default()
            };
            let page = store::list_documents(self.database(), acting.viewer(), &filter).await?;
            let count = page.len() as u32;
            rows.extend(page);
            offset += count;
            if count < PAGE || offset >= REGISTER_MAX_ROWS {
                break;
            }
        }
        let users: BTreeMap<i64, String> = accounts::list_users(self.database())
            .await?
            .into_iter()
            .map(|user| (user.id, user.display_name))
            .collect();
        let units: BTreeMap<i64, String> = accounts::list_organizations(self.database())
            .await?
            .into_iter()
            .map(|organization| (organization.id, organization.name))
            .collect();
        let mut table_rows = Vec::with_capacity(rows.len());
        let mut document_ids = Vec::with_capacity(rows.len());
        for row in &rows {
            let metadata: DocumentMetadata =
                serde_json::from_str(&row.metadata).map_err(|error| {
                    DocsError::Store(congso_store::StoreError::Corrupt(format!(
                        "document {} metadata: {error}",
                        row.id
                    )))
                })?;
            let type_and_summary =
                format!("{}: {}", metadata.type_label(self.types()), row.summary);
            let mut notes: Vec<String> = Vec::new();
            if row.recalled_at.is_some() {
                notes.push(format!(
                    "Đã thu hồi: {}",
                    row.recall_reason.clone().unwrap_or_default()
                ));
            }
            if let Some(note) = &metadata.notes {
                notes.push(note.clone());
            }
            if metadata.urgency.level() > 0 {
                notes.push(metadata.urgency.label().to_owned());
            }
            let cells = match query.direction {
                Direction::Incoming => {
                    let assignments =
                        store::assignments(self.database(), acting.viewer(), row.id).await?;
                    let first = assignments.first();
                    let receiver = first
                        .map(|assignment| {
                            let mut parts = Vec::new();
                            if let Some(unit) = assignment.unit_id.and_then(|id| units.get(&id)) {
                                parts.push(unit.clone());
                            }
                            if let Some(user) = assignment.user_id.and_then(|id| users.get(&id)) {
                                parts.push(user.clone());
                            }
                            parts.join(" - ")
                        })
                        .unwrap_or_default();
                    vec![
                        moment_cell(row.registered_at.or(row.arrived_at)),
                        row.register_number
                            .map(|number| number.to_string())
                            .unwrap_or_default(),
                        row.sender_name.clone().unwrap_or_default(),
                        row.number_notation.clone().unwrap_or_default(),
                        date_cell(row.issue_date.as_deref()),
                        type_and_summary,
                        receiver,
                        moment_cell(first.map(|assignment| assignment.assigned_at)),
                        String::new(),
                        notes.join("; "),
                    ]
                }
                Direction::Outgoing => vec![
                    row.number_notation.clone().unwrap_or_default(),
                    date_cell(row.issue_date.as_deref()),
                    type_and_summary,
                    metadata
                        .signer
                        .as_ref()
                        .map(|signer| signer.full_name.clone())
                        .unwrap_or_default(),
                    metadata
                        .recipients
                        .iter()
                        .map(|recipient| recipient.name.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                    metadata.file_holder.clone().unwrap_or_default(),
                    metadata
                        .copies
                        .map(|copies| copies.to_string())
                        .unwrap_or_default(),
                    moment_cell(row.dispatched_at),
                    String::new(),
                    notes.join("; "),
                ],
            };
            table_rows.push(cells);
            document_ids.push(row.id);
        }
        let title = match (query.direction, query.secret) {
            (Direction::Incoming, false) => "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN",
            (Direction::Incoming, true) => "SỔ ĐĂNG KÝ VĂN BẢN MẬT ĐẾN",
            (Direction::Outgoing, false) => "SỔ ĐĂNG KÝ VĂN BẢN ĐI",
            (Direction::Outgoing, true) => "SỔ ĐĂNG KÝ VĂN BẢN MẬT ĐI",
        };
        let headers = match query.direction {
            Direction::Incoming => INCOMING_HEADERS,
            Direction::Outgoing => OUTGOING_HEADERS,
        };
        Ok(Register {
            title: title.to_owned(),
            period: format!(
                "Từ ngày {} đến ngày {}",
                vn_date_text(query.from),
                vn_date_text(query.until)
            ),
            headers: headers.iter().map(|header| (*header).to_owned()).collect(),
            rows: table_rows,
            document_ids,
        })
    }

    /// The register as an XLSX workbook.
    pub async fn export_register_xlsx(
        &self,
        acting: &Acting,
        query: RegisterQuery,
    ) -> Result<Vec<u8>> {
        let register = self.register(acting, query).await?;
        let agency = self.agency().name.clone();
        register_xlsx(&register, &agency).map_err(|error| DocsError::Export(error.to_string()))
    }

    /// The register as CSV (UTF-8 with a byte-order mark).
    pub async fn export_register_csv(
        &self,
        acting: &Acting,
        query: RegisterQuery,
    ) -> Result<Vec<u8>> {
        let register = self.register(acting, query).await?;
        Ok(register_csv(&register))
    }
}

/// Writes a register as CSV (RFC 4180 quoting, CRLF lines, UTF-8 BOM).
pub fn register_csv(register: &Register) -> Vec<u8> {
    fn field(text: &str) -> String {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    }
    let mut out = String::from("\u{FEFF}");
    for line in std::iter::once(&register.headers).chain(register.rows.iter()) {
        let fields: Vec<String> = line.iter().map(|cell| field(cell)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// Writes a register as an XLSX workbook laid out for A4 landscape printing.
pub fn register_xlsx(
    register: &Register,
    agency: &str,
) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let font = "Times New Roman";
    let title = Format::new()
        .set_font_name(font)
        .set_font_size(14)
        .set_bold()
        .set_align(FormatAlign::Center);
    let plain = Format::new()
        .set_font_name(font)
        .set_font_size(12)
        .set_align(FormatAlign::Center);
    let header = Format::new()
        .set_font_name(font)
        .set_font_size(11)
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    let cell = Format::new()
        .set_font_name(font)
        .set_font_size(11)
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let columns = u16::try_from(register.headers.len().max(1)).unwrap_or(10);
    let last = columns - 1;
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("So dang ky")?;
    sheet.set_landscape();
    // 9 is A4 in the spreadsheet paper-size list.
    sheet.set_paper_size(9);
    sheet.merge_range(0, 0, 0, last, agency, &plain)?;
    sheet.merge_range(1, 0, 1, last, &register.title, &title)?;
    sheet.merge_range(2, 0, 2, last, &register.period, &plain)?;
    let header_row = 4;
    for (column, text) in register.headers.iter().enumerate() {
        let column = u16::try_from(column).unwrap_or(0);
        sheet.write_string_with_format(header_row, column, text, &header)?;
        // Columns holding summaries and recipients are wide, dates narrow.
        let width = if text.contains("trích yếu") || text.contains("Nơi nhận") {
            40.0
        } else if text.contains("Tác giả")
            || text.contains("người nhận")
            || text.contains("Người ký")
        {
            22.0
        } else {
            13.0
        };
        sheet.set_column_width(column, width)?;
    }
    sheet.set_repeat_rows(header_row, header_row)?;
    for (index, row) in register.rows.iter().enumerate() {
        let row_number = header_row + 1 + u32::try_from(index).unwrap_or(u32::MAX - header_row - 1);
        for (column, text) in row.iter().enumerate() {
            let column = u16::try_from(column).unwrap_or(0);
            sheet.write_string_with_format(row_number, column, text, &cell)?;
        }
    }
    workbook.save_to_buffer()
}
