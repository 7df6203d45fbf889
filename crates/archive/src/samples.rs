//! Plain PDFs made in code, for the demo agency, benchmarks and tests: a
//! real document flow needs PDFs to sign and archive without shipping
//! binary fixtures. The text is drawn in Helvetica (ASCII only: the PDF
//! standard fonts have no Vietnamese glyphs, so accents are folded).

/// A PDF of `pages` A4 pages, each with the title and a few lines of body
/// text, with a classic cross-reference table.
pub fn text_pdf(title: &str, pages: usize) -> Vec<u8> {
    let pages = pages.max(1);
    let title = pdf_text(title);
    let mut objects: Vec<String> = Vec::new();
    // 1: catalog, 2: pages, 3: font, then (page, content) pairs.
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".to_owned());
    let kids: Vec<String> = (0..pages)
        .map(|page| format!("{} 0 R", 4 + page * 2))
        .collect();
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {pages} >>",
        kids.join(" ")
    ));
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned());
    for page in 0..pages {
        let content_id = 5 + page * 2;
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
             /Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>"
        ));
        let mut stream = format!("BT /F1 16 Tf 72 760 Td ({title}) Tj ET\n");
        for line in 0..30 {
            stream.push_str(&format!(
                "BT /F1 10 Tf 72 {} Td (Trang {} - dong {}: noi dung van ban hanh chinh.) Tj ET\n",
                720 - line * 20,
                page + 1,
                line + 1
            ));
        }
        objects.push(format!(
            "<< /Length {} >>\nstream\n{stream}endstream",
            stream.len()
        ));
    }
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (index, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", index + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// ASCII for a PDF literal string: Vietnamese letters folded to their base
/// letter, parentheses and backslashes escaped, anything else dropped.
fn pdf_text(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let folded = fold(c);
        match folded {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(folded);
            }
            ' '..='~' => out.push(folded),
            _ => {}
        }
    }
    out
}

fn fold(c: char) -> char {
    const GROUPS: [(&str, char); 14] = [
        ("àáạảãâầấậẩẫăằắặẳẵ", 'a'),
        ("ÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴ", 'A'),
        ("èéẹẻẽêềếệểễ", 'e'),
        ("ÈÉẸẺẼÊỀẾỆỂỄ", 'E'),
        ("ìíịỉĩ", 'i'),
        ("ÌÍỊỈĨ", 'I'),
        ("òóọỏõôồốộổỗơờớợởỡ", 'o'),
        ("ÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠ", 'O'),
        ("ùúụủũưừứựửữ", 'u'),
        ("ÙÚỤỦŨƯỪỨỰỬỮ", 'U'),
        ("ỳýỵỷỹ", 'y'),
        ("ỲÝỴỶỸ", 'Y'),
        ("đ", 'd'),
        ("Đ", 'D'),
    ];
    GROUPS
        .iter()
        .find(|(letters, _)| letters.contains(c))
        .map_or(c, |(_, base)| *base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdfs_have_pages_and_escaped_text() {
        let pdf = text_pdf("Quyết định (số 12)", 3);
        assert!(pdf.starts_with(b"%PDF-1.7"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 3"));
        assert!(text.contains("(Quyet dinh \\(so 12\\)) Tj"));
    }
}
