//! Character sets: turns the raw bytes of a feed into UTF-8 before feed-rs sees them.
//!
//! Part of the parse step (fetch -> **parse**/normalize -> cluster -> store -> api). The
//! charset is taken from a byte-order mark, then the HTTP `Content-Type` charset, then the XML
//! declaration, then the shape of the first bytes (UTF-16/32 without BOM), else UTF-8. Bytes that
//! are invalid in the chosen charset become U+FFFD rather than failing the whole feed. Any XML
//! declaration that names an encoding is rewritten, so the XML reader inside feed-rs never
//! decodes the (already UTF-8) text a second time.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// The charset a document was decoded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// A charset `encoding_rs` knows.
    Known(&'static Encoding),
    /// UTF-32 little-endian (not in `encoding_rs`).
    Utf32Le,
    /// UTF-32 big-endian.
    Utf32Be,
}

impl Charset {
    /// The charset's canonical name, for logs and tests.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Known(enc) => enc.name(),
            Charset::Utf32Le => "UTF-32LE",
            Charset::Utf32Be => "UTF-32BE",
        }
    }

    /// Whether ASCII text reads the same in this charset (so a declaration in it is readable).
    fn is_ascii_compatible(self) -> bool {
        matches!(self, Charset::Known(enc) if enc.is_ascii_compatible())
    }
}

/// Decodes `body` to UTF-8 text, choosing the charset as the module doc says.
pub fn decode(body: &[u8], content_type: Option<&str>) -> (String, Charset) {
    let (charset, bom_len) = match bom(body) {
        Some(found) => found,
        None => (choose_without_bom(body, content_type), 0),
    };
    let rest = &body[bom_len..];
    let text = match charset {
        Charset::Known(enc) => enc.decode_without_bom_handling(rest).0.into_owned(),
        Charset::Utf32Le => decode_utf32(rest, u32::from_le_bytes),
        Charset::Utf32Be => decode_utf32(rest, u32::from_be_bytes),
    };
    (neutralize_declarations(text), charset)
}

/// A byte-order mark at the start of `body`, and its length.
fn bom(body: &[u8]) -> Option<(Charset, usize)> {
    // UTF-32LE's BOM starts like UTF-16LE's, so it is checked first.
    match body {
        [0xFF, 0xFE, 0, 0, ..] => Some((Charset::Utf32Le, 4)),
        [0, 0, 0xFE, 0xFF, ..] => Some((Charset::Utf32Be, 4)),
        [0xEF, 0xBB, 0xBF, ..] => Some((Charset::Known(UTF_8), 3)),
        [0xFF, 0xFE, ..] => Some((Charset::Known(UTF_16LE), 2)),
        [0xFE, 0xFF, ..] => Some((Charset::Known(UTF_16BE), 2)),
        _ => None,
    }
}

/// The charset of a document without BOM: HTTP header, then XML declaration, then byte shape.
fn choose_without_bom(body: &[u8], content_type: Option<&str>) -> Charset {
    let shape = shape(body);
    let declared = content_type
        .and_then(http_charset)
        .into_iter()
        .chain(xml_declared_charset(body, shape));
    for label in declared {
        if let Some(charset) = resolve_label(&label, shape) {
            return charset;
        }
    }
    shape
}

/// What the first bytes look like: `<` or `{` in UTF-16/32, else ASCII-compatible (UTF-8).
fn shape(body: &[u8]) -> Charset {
    match body {
        [0, 0, 0, b, ..] if b.is_ascii() && *b != 0 => Charset::Utf32Be,
        [b, 0, 0, 0, ..] if b.is_ascii() && *b != 0 => Charset::Utf32Le,
        [0, b, ..] if b.is_ascii() && *b != 0 => Charset::Known(UTF_16BE),
        [b, 0, ..] if b.is_ascii() && *b != 0 => Charset::Known(UTF_16LE),
        _ => Charset::Known(UTF_8),
    }
}

/// Turns a charset label into a charset that fits the byte shape, or `None` to try the next source.
fn resolve_label(label: &str, shape: Charset) -> Option<Charset> {
    let lower = label.trim().to_ascii_lowercase();
    let wide = match lower.as_str() {
        "utf-32" | "ucs-4" | "utf-32le" | "utf-32be" | "iso-10646-ucs-4" => Some("32"),
        "utf-16" | "ucs-2" | "iso-10646-ucs-2" | "unicode" | "unicodefffe" => Some("16"),
        "utf-16le" | "utf-16be" => Some("16"),
        _ => None,
    };
    match wide {
        // A wide label only counts when the bytes are wide; its byte order comes from the bytes.
        Some("32") => matches!(shape, Charset::Utf32Le | Charset::Utf32Be).then_some(shape),
        Some(_) => {
            matches!(shape, Charset::Known(e) if e == UTF_16LE || e == UTF_16BE).then_some(shape)
        }
        None => {
            let enc = Encoding::for_label(lower.as_bytes())?;
            // "replacement" would turn every byte into U+FFFD; a wrong label is better ignored.
            let usable = enc != encoding_rs::REPLACEMENT && enc.is_ascii_compatible();
            (usable && shape.is_ascii_compatible()).then_some(Charset::Known(enc))
        }
    }
}

/// The `charset` parameter of a `Content-Type` header value.
fn http_charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_string())
            .filter(|v| !v.is_empty())
    })
}

/// The `encoding` named by the XML declaration, read in the byte shape of the document.
fn xml_declared_charset(body: &[u8], shape: Charset) -> Option<String> {
    // Only the first few hundred bytes can hold a declaration; decode just those.
    let head = &body[..body.len().min(512)];
    let text = match shape {
        Charset::Known(enc) => enc.decode_without_bom_handling(head).0.into_owned(),
        Charset::Utf32Le => decode_utf32(head, u32::from_le_bytes),
        Charset::Utf32Be => decode_utf32(head, u32::from_be_bytes),
    };
    let decl = text.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    encoding_attribute(decl).map(str::to_string)
}

/// The value of `encoding="..."` inside the text of an XML declaration.
///
/// Only a whole attribute name counts: `encodingx="1" encoding="utf-16"` names utf-16 (found by
/// fuzzing: reading the first "encoding" missed the real attribute, which quick-xml then obeyed).
fn encoding_attribute(decl: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(found) = decl[from..].find("encoding") {
        let at = from + found;
        from = at + "encoding".len();
        let after_space = decl[..at].ends_with(|c: char| c.is_ascii_whitespace());
        let Some(rest) = decl[from..].trim_start().strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let value = &rest[1..];
        if let Some(end) = value.find(quote).filter(|_| after_space) {
            return Some(&value[..end]);
        }
    }
    None
}

/// Whether an XML declaration has anything that an XML reader could take for an
/// `encoding` attribute: the name and an `=`, whatever stands before it (quick-xml reads
/// `"1.0"encoding="UTF-16"` as one, where [`encoding_attribute`] wants a space).
fn names_an_encoding(decl: &str) -> bool {
    decl.match_indices("encoding")
        .any(|(at, name)| decl[at + name.len()..].trim_start().starts_with('='))
}

/// Decodes UTF-32 in the given byte order, replacing invalid code points with U+FFFD.
fn decode_utf32(bytes: &[u8], read: fn([u8; 4]) -> u32) -> String {
    bytes
        .chunks(4)
        .map(|chunk| match <[u8; 4]>::try_from(chunk) {
            Ok(quad) => char::from_u32(read(quad)).unwrap_or('\u{FFFD}'),
            Err(_) => '\u{FFFD}',
        })
        .collect()
}

/// Rewrites every XML declaration that names an encoding into one that does not.
fn neutralize_declarations(text: String) -> String {
    // quick-xml (inside feed-rs) switches its decoder on any declaration it meets, and asserts if
    // that happens late in the stream; the text is UTF-8 now, so the label must go.
    if !text.contains("<?xml") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("<?xml") {
        let after = &rest[at + 5..];
        let is_decl = after.starts_with(|c: char| c.is_ascii_whitespace() || c == '?');
        let end = after.find("?>").map(|e| at + 5 + e + 2);
        match end {
            Some(end) if is_decl && names_an_encoding(&rest[at..end]) => {
                out.push_str(&rest[..at]);
                out.push_str("<?xml version=\"1.0\"?>");
                rest = &rest[end..];
            }
            _ => {
                out.push_str(&rest[..at + 5]);
                rest = &rest[at + 5..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, little: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if little { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
        }
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if little {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        out
    }

    const DOC: &str =
        "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss><title>Ünïcödé</title></rss>";

    #[test]
    fn utf16_with_and_without_bom_in_both_orders() {
        for little in [true, false] {
            for with_bom in [true, false] {
                let (text, charset) = decode(&utf16(DOC, little, with_bom), None);
                assert!(
                    text.contains("<title>Ünïcödé</title>"),
                    "{little} {with_bom}: {text}"
                );
                assert!(!text.contains("utf-16"), "declaration kept: {text}");
                let expected = if little { "UTF-16LE" } else { "UTF-16BE" };
                assert_eq!(charset.name(), expected);
            }
        }
    }

    #[test]
    fn utf32_by_bom_and_by_shape() {
        let mut be: Vec<u8> = DOC.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        assert_eq!(decode(&be, None).1, Charset::Utf32Be);
        be.splice(0..0, [0, 0, 0xFE, 0xFF]);
        let (text, charset) = decode(&be, None);
        assert_eq!(charset, Charset::Utf32Be);
        assert!(text.contains("Ünïcödé"));
    }

    #[test]
    fn a_lookalike_attribute_does_not_hide_the_encoding() {
        // Found by the `parse` fuzz target: quick-xml panicked on the declaration left in place.
        let decl = "<?xml version=\"1.0\" encodingn=\"1.0\" encoding=\"UTF-16\"?>";
        assert_eq!(encoding_attribute(decl), Some("UTF-16"));
        assert_eq!(encoding_attribute("<?xml xencoding=\"a\"?>"), None);
        let text = neutralize_declarations(format!("{decl}<rss/>"));
        assert!(!text.contains("UTF-16"), "{text}");
    }

    #[test]
    fn an_encoding_attribute_with_no_space_before_it_is_rewritten_too() {
        // Found by the `parse` fuzz target: quick-xml reads attributes that no space
        // separates, obeyed this one after its prefix was gone, and panicked.
        for decl in [
            "<?xml version=\"1.0\" encodingn=\"1.0\"encoding=\"UTF-16\"?>",
            "<?xml version=\"1.0\"encoding=\"UTF-16\"?>",
        ] {
            let doc =
                format!("{decl}\n<rss version=\"2.0\"><channel><title>T</title></channel></rss>");
            let text = neutralize_declarations(doc.clone());
            assert!(!text.contains("UTF-16"), "{text}");
            let body = utf16(&doc, true, false);
            let url = url::Url::parse("https://example.com/feed").expect("url");
            let parsed = std::panic::catch_unwind(|| {
                crate::feed::parse(&body, None, &url, chrono::DateTime::UNIX_EPOCH).is_ok()
            });
            assert_eq!(parsed.ok(), Some(true), "{decl}");
        }
    }

    #[test]
    fn single_byte_charsets_from_the_declaration() {
        let latin1 = b"<?xml version='1.0' encoding='ISO-8859-1'?><t>caf\xe9</t>";
        let (text, _) = decode(latin1, None);
        assert!(text.ends_with("<t>café</t>"), "{text}");
        let cyrillic =
            b"<?xml version=\"1.0\" encoding=\"windows-1251\"?><t>\xcf\xf0\xe8\xe2\xe5\xf2</t>";
        let (text, charset) = decode(cyrillic, None);
        assert_eq!(charset.name(), "windows-1251");
        assert!(text.ends_with("<t>Привет</t>"), "{text}");
    }

    #[test]
    fn http_charset_wins_over_declaration_and_bom_wins_over_both() {
        let body = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>\xcf\xf0</t>";
        let (text, _) = decode(body, Some("application/rss+xml; charset=\"windows-1251\""));
        assert!(text.ends_with("<t>Пр</t>"), "{text}");
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend_from_slice("<t>é</t>".as_bytes());
        let (text, charset) = decode(&with_bom, Some("text/xml; charset=iso-8859-1"));
        assert_eq!((text.as_str(), charset.name()), ("<t>é</t>", "UTF-8"));
    }

    #[test]
    fn bogus_labels_fall_back_and_invalid_bytes_are_replaced() {
        let body = b"<?xml version=\"1.0\" encoding=\"klingon\"?><t>ok \xff</t>";
        let (text, charset) = decode(body, Some("text/xml; charset=utf-16"));
        assert_eq!(charset.name(), "UTF-8");
        assert!(text.ends_with("<t>ok \u{FFFD}</t>"), "{text}");
    }

    #[test]
    fn declarations_without_encoding_and_stylesheets_are_left_alone() {
        let body = "<?xml version=\"1.0\"?><?xml-stylesheet href=\"s.xsl\"?><rss/>";
        assert_eq!(decode(body.as_bytes(), None).0, body);
    }
}
