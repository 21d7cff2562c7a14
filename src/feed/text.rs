//! HTML to plain text: how titles and summaries become the text storyd stores and clusters on.
//!
//! Part of the normalize step (fetch -> parse/**normalize** -> cluster -> store -> api). Tags
//! are stripped (the content of `script`, `style` and similar elements with them), entities are
//! decoded, whitespace is collapsed, and control characters are dropped. This is a one-pass
//! scanner, not an HTML parser: it never builds a tree, so hostile input costs linear time.

/// Elements whose whole content is not readable text.
const SKIPPED_ELEMENTS: [&str; 7] = [
    "script", "style", "noscript", "template", "iframe", "object", "svg",
];

/// Elements that separate words, so `<p>a</p><p>b</p>` reads "a b" and not "ab".
const BLOCK_ELEMENTS: [&str; 24] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "p",
    "td",
    "tr",
];

/// Converts an HTML fragment (or plain text with entities) to plain text on one line.
pub fn html_to_text(html: &str) -> String {
    let mut raw = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        raw.push_str(&rest[..lt]);
        rest = &rest[lt..];
        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            // CDATA inside HTML is text; keep it, drop the brackets.
            let end = cdata.find("]]>").unwrap_or(cdata.len());
            raw.push_str(&cdata[..end]);
            rest = cdata.get(end + 3..).unwrap_or("");
            continue;
        }
        match Markup::at(rest) {
            Some(markup) => {
                if markup.separates {
                    raw.push(' ');
                }
                rest = &rest[markup.len..];
            }
            None => {
                // A lone `<` (as in "a < b") is text.
                raw.push('<');
                rest = &rest[1..];
            }
        }
    }
    raw.push_str(rest);
    collapse_whitespace(&html_escape::decode_html_entities(&raw))
}

/// A piece of markup starting at a `<`: how many bytes it covers and whether it separates words.
struct Markup {
    len: usize,
    separates: bool,
}

impl Markup {
    /// Recognizes the markup at the start of `s` (which starts with `<`), if it is markup.
    fn at(s: &str) -> Option<Markup> {
        let bytes = s.as_bytes();
        let next = *bytes.get(1)?;
        if let Some(comment) = s.strip_prefix("<!--") {
            let len = comment.find("-->").map_or(s.len(), |end| 4 + end + 3);
            return Some(Markup {
                len,
                separates: false,
            });
        }
        if next == b'!' || next == b'?' {
            return Some(Markup {
                len: tag_end(s),
                separates: false,
            });
        }
        let closing = next == b'/';
        let name_start = usize::from(closing) + 1;
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b':')
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            return None;
        }
        let name = s[name_start..name_start + name_len].to_ascii_lowercase();
        let mut len = tag_end(s);
        if !closing && SKIPPED_ELEMENTS.contains(&name.as_str()) && !s[..len].ends_with("/>") {
            len += skipped_content_len(&s[len..], &name);
        }
        let separates = BLOCK_ELEMENTS.contains(&name.as_str())
            || SKIPPED_ELEMENTS.contains(&name.as_str())
            || name == "img";
        Some(Markup { len, separates })
    }
}

/// The length of the tag at the start of `s`, up to and including its `>` (quotes respected).
fn tag_end(s: &str) -> usize {
    let mut quote = None;
    for (i, b) in s.bytes().enumerate().skip(1) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return i + 1,
            _ => {}
        }
    }
    s.len()
}

/// The length of a skipped element's content, up to and including its closing tag.
fn skipped_content_len(s: &str, name: &str) -> usize {
    let closing = format!("</{name}");
    // ASCII lowercasing keeps byte offsets, so positions found in `lower` are valid in `s`.
    let lower = s.to_ascii_lowercase();
    match lower.find(&closing) {
        Some(at) => at + tag_end(&s[at..]),
        None => s.len(),
    }
}

/// Collapses runs of whitespace to one space, trims, and drops control characters.
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = true;
        } else if c.is_control() || is_invisible(c) {
            continue;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

/// Zero-width and format characters that only hide text or break matching.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Cuts `text` to at most `max_chars` characters, on a word boundary when one is near, with `…`.
pub fn truncate(text: &str, max_chars: usize) -> String {
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return text.to_string();
    };
    // Leave room for the ellipsis, then back off to the last space unless that loses over half.
    let head = match text[..cut].char_indices().last() {
        Some((last, _)) => &text[..last],
        None => "",
    };
    let at_word = match head.rfind(' ') {
        Some(space) if head[..space].chars().count() * 2 >= max_chars => &head[..space],
        _ => head,
    };
    format!("{}…", at_word.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_decodes_entities_and_collapses_whitespace() {
        let html = "<p>Storm&nbsp;hits   <b>coast</b></p>\n<p>Town &amp; port&#39;s &#x201C;fine&#x201D;</p>";
        assert_eq!(
            html_to_text(html),
            "Storm hits coast Town & port's \u{201C}fine\u{201D}"
        );
    }

    #[test]
    fn drops_script_style_and_comments_with_their_content() {
        let html = "Hi<script type=\"x\">alert('<p>')</script> <STYLE>p{}</STYLE>there<!-- secret --><br/>you";
        assert_eq!(html_to_text(html), "Hi there you");
        assert_eq!(html_to_text("<script>never closed"), "");
    }

    #[test]
    fn escaped_markup_is_text_and_a_lone_angle_bracket_is_kept() {
        assert_eq!(html_to_text("&lt;b&gt;bold&lt;/b&gt;"), "<b>bold</b>");
        assert_eq!(html_to_text("1 < 2 and 3 <4"), "1 < 2 and 3 <4");
        assert_eq!(html_to_text("<a href=\"x?a>b\">link</a>"), "link");
    }

    #[test]
    fn cdata_markers_and_control_characters_go() {
        assert_eq!(
            html_to_text("<![CDATA[Inside]]>\u{0007}\u{200B}!"),
            "Inside!"
        );
    }

    #[test]
    fn truncate_cuts_on_a_word_and_counts_chars() {
        let text = "ééé ééé ééé ééé";
        assert_eq!(truncate(text, 100), text);
        assert_eq!(truncate(text, 10), "ééé ééé…");
        assert_eq!(truncate("abcdefghij", 5), "abcd…");
        assert!(truncate(&"word ".repeat(500), 1000).chars().count() <= 1000);
    }
}
