//! Prints what the importer makes of edXML files: `cargo run --example dump -- FILE...`.

use std::fs::File;
use std::io::BufReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        println!("== {path}");
        let parsed = congso_edxml::read_message(BufReader::new(File::open(&path)?))?;
        if let congso_edxml::Message::Edoc(edoc) = &parsed.value {
            for attachment in &edoc.attachments {
                println!(
                    "attachment {:?}: {} bytes",
                    attachment.meta.content_id,
                    attachment.content.len()
                );
            }
        }
        for issue in &parsed.issues {
            println!("  {issue}");
        }
    }
    Ok(())
}
