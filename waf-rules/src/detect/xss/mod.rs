//! Cross-site-scripting detection in the manner of AWS WAF's `XssMatchStatement`: an HTML5 tokenizer run in every
//! context an injected value can land in, with rules on the tags, attributes and declarations it finds.
//!
//! Contexts, tried in this order (a context runs only when the input could leave it):
//! 1. [`HtmlContext::UrlAttribute`]: the whole value is a URL attribute (`href="<input>"`): flagged when it
//!    starts with a script scheme (`javascript:`, `vbscript:`, ...) directly followed by code, or an active
//!    `data:` URL (`data:text/html`, `data:image/svg+xml`, ...).
//! 2. [`HtmlContext::Data`]: page content.
//! 3. [`HtmlContext::DoubleQuotedAttribute`], [`HtmlContext::SingleQuotedAttribute`],
//!    [`HtmlContext::UnquotedAttribute`]: inside an attribute value; the text after the closing quote (or
//!    whitespace) is read as more attributes of the enclosing tag, and after `>` as page content.
//!
//! Every pass is linear and allocation-free; the whole input is read (no scan budget: the caller bounds the input
//! size). The rules are listed on [`XssRule`]; `docs/waf-detectors.md` has the details and measured rates.

mod decode;
mod html;
mod names;
mod prefilter;
#[cfg(test)]
mod prefilter_tests;
#[cfg(test)]
mod tests;

use html::{is_ws, tokenize, Event, Hit, Start};

/// Which rule matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum XssRule {
    /// A start tag of an element that runs script or active content or changes how the page is parsed:
    /// `script`, `iframe`, `object`, `embed`, `svg`, `math`, `base`, `link`, `style`, `meta`, `form`, `frame`,
    /// `applet`, `xml`, `import`, ... (also with a namespace prefix, `<x:script>`).
    DangerousTag,
    /// `</script`: closes a script block the value was pasted into.
    ScriptEndTag,
    /// An event-handler attribute with a value: any `on*` name on a tag the input opened itself, a known
    /// handler name (`onerror`, `onload`, `onfocus`, ...) on the enclosing tag of an attribute context.
    EventHandler,
    /// A URL attribute (`href`, `src`, `action`, `formaction`, `data`, `xlink:href`, `background`, `poster`, ...)
    /// whose decoded value starts with a script scheme or an active `data:` URL.
    DangerousUrl,
    /// A `style` attribute with `expression(`, `javascript:`, `vbscript:`, `-moz-binding`, `behavior:` or
    /// `@import` after CSS normalisation.
    StyleExpression,
    /// A `srcdoc` attribute whose decoded value contains markup.
    SrcdocMarkup,
    /// An IE conditional comment (`<!--[if ...]>`) or a comment containing a backtick.
    CommentTrick,
    /// A `<![CDATA[` section whose content is itself flagged markup.
    CDataMarkup,
    /// An XML declaration inside the value: `<!ENTITY`, `<!ATTLIST`, `<!ELEMENT`, `<!DOCTYPE` with an internal
    /// subset.
    XmlDeclaration,
    /// A processing instruction that loads code: `<?import`, `<?xml-stylesheet`, `<?xml:namespace`.
    ProcessingInstruction,
    /// The whole value is a script URL (`javascript:alert(1)`) or an active `data:` URL.
    ScriptUrlValue,
}

/// Where the injected value was assumed to land when a rule fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HtmlContext {
    /// The value is a URL attribute's whole value.
    UrlAttribute,
    /// Page content (the HTML data state).
    Data,
    /// Inside `attr="..."`.
    DoubleQuotedAttribute,
    /// Inside `attr='...'`.
    SingleQuotedAttribute,
    /// Inside `attr=...` without quotes.
    UnquotedAttribute,
}

/// A detection: the rule, the context, and the byte range of the tag, attribute or declaration that triggered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XssMatch {
    /// The rule that fired.
    pub rule: XssRule,
    /// The context the input was read in.
    pub context: HtmlContext,
    /// Byte range `(start, end)` in the input of what triggered the rule (a tag name, an attribute with its
    /// value, a comment body, ...).
    pub span: (usize, usize),
}

impl XssMatch {
    /// The triggering bytes as text, like AWS WAF's `matchedData`; invalid UTF-8 is replaced. `input` must be the
    /// slice that was inspected. Allocates; meant for logging.
    pub fn matched_data(&self, input: &[u8]) -> String {
        String::from_utf8_lossy(input.get(self.span.0..self.span.1).unwrap_or_default()).into_owned()
    }
}

/// Whether `input` (already decoded by the rule's text transformations) contains cross-site scripting; the first
/// match found across the contexts listed in the module documentation.
///
/// Linear in `input.len()`, never panics, and allocates nothing.
///
/// An exact prefilter (`prefilter.rs`) first proves, for most benign inputs, that no rule can fire; the
/// tokenizer runs only when it cannot. The result is the same as without it.
pub fn is_xss(input: &[u8]) -> Option<XssMatch> {
    if !prefilter::may_match(input) {
        return None;
    }
    is_xss_unfiltered(input)
}

/// [`is_xss`] without the prefilter.
fn is_xss_unfiltered(input: &[u8]) -> Option<XssMatch> {
    let found = |hit: Hit, context| XssMatch {
        rule: hit.rule,
        context,
        span: hit.span,
    };
    if let Some(s) = decode::dangerous_scheme(input) {
        if s.data || s.next.is_some_and(|b| b > b' ') {
            return Some(XssMatch {
                rule: XssRule::ScriptUrlValue,
                context: HtmlContext::UrlAttribute,
                span: (0, input.len()),
            });
        }
    }
    let contexts = [
        (input.contains(&b'<'), Start::Data, HtmlContext::Data),
        (
            input.contains(&b'"'),
            Start::AttrValue(b'"'),
            HtmlContext::DoubleQuotedAttribute,
        ),
        (
            input.contains(&b'\''),
            Start::AttrValue(b'\''),
            HtmlContext::SingleQuotedAttribute,
        ),
        (
            input.iter().any(|&b| is_ws(b) || b == b'>'),
            Start::AttrValue(0),
            HtmlContext::UnquotedAttribute,
        ),
    ];
    contexts
        .into_iter()
        .filter(|&(run, _, _)| run)
        .find_map(|(_, start, ctx)| tokenize(input, start, |e| check(input, e, true)).map(|h| found(h, ctx)))
}

/// Lower-cases `s` into `buf` when it fits.
fn lower<'b>(s: &[u8], buf: &'b mut [u8; 32]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..s.len())?;
    for (d, c) in out.iter_mut().zip(s) {
        *d = c.to_ascii_lowercase();
    }
    Some(out)
}

fn starts_with_ci(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn contains_ci(s: &[u8], pat: &[u8]) -> bool {
    s.windows(pat.len()).any(|w| w.eq_ignore_ascii_case(pat))
}

fn hit(rule: XssRule, span: (usize, usize)) -> Option<Hit> {
    Some(Hit { rule, span })
}

/// The rules, applied to one tokenizer event. `nested` allows one level of re-scan for CDATA content.
fn check(input: &[u8], e: &Event, nested: bool) -> Option<Hit> {
    let text = |r: (usize, usize)| input.get(r.0..r.1).unwrap_or_default();
    let mut buf = [0u8; 32];
    match *e {
        Event::Tag { name, end } => {
            let lname = lower(text(name), &mut buf)?;
            let local = lname.rsplit(|&b| b == b':').next().unwrap_or(lname);
            // `<scr<script>`: a filter that strips the inner tag leaves the outer one; check the inner name too.
            let inner = lname.rsplit(|&b| b == b'<').next().unwrap_or(lname);
            if end {
                return (lname == b"script").then_some(Hit {
                    rule: XssRule::ScriptEndTag,
                    span: name,
                });
            }
            let dangerous = names::contains(names::DANGEROUS_TAGS, lname)
                || names::contains(names::DANGEROUS_TAGS, local)
                || names::contains(names::DANGEROUS_TAGS, inner);
            dangerous.then_some(Hit {
                rule: XssRule::DangerousTag,
                span: name,
            })
        }
        Event::Attr { name, value, real, .. } => {
            let value_range = value?;
            let span = (name.0, value_range.1);
            let raw_name = text(name);
            let value = text(value_range);
            let Some(lname) = lower(raw_name, &mut buf) else {
                // Longer than any name we know; only a real tag's `on*` prefix matters.
                return (real && is_event_like(raw_name)).then_some(Hit {
                    rule: XssRule::EventHandler,
                    span,
                });
            };
            if (real && is_event_like(lname)) || names::contains(names::EVENT_HANDLERS, lname) {
                return hit(XssRule::EventHandler, span);
            }
            if names::contains(names::URL_ATTRIBUTES, lname) && decode::dangerous_scheme(value).is_some() {
                return hit(XssRule::DangerousUrl, span);
            }
            if lname == b"content" && decode::contains_script_url_after(value, b"url=") {
                return hit(XssRule::DangerousUrl, span);
            }
            match lname {
                b"style" if decode::dangerous_css(value) => hit(XssRule::StyleExpression, span),
                b"srcdoc" if decode::contains_markup(value) => hit(XssRule::SrcdocMarkup, span),
                _ => None,
            }
        }
        Event::Comment { body } => {
            let b = text(body);
            let conditional = starts_with_ci(b, b"[if") || contains_ci(b, b"[endif]");
            (conditional || b.contains(&b'`')).then_some(Hit {
                rule: XssRule::CommentTrick,
                span: body,
            })
        }
        Event::CData { body } => {
            if !nested {
                return None;
            }
            let inner = text(body);
            tokenize(inner, Start::Data, |e| check(inner, e, false)).map(|_| Hit {
                rule: XssRule::CDataMarkup,
                span: body,
            })
        }
        Event::Decl { body } => {
            let b = text(body);
            let decl = [&b"entity"[..], b"attlist", b"element", b"notation"]
                .iter()
                .any(|p| starts_with_ci(b, p));
            let subset = starts_with_ci(b, b"doctype") && b.contains(&b'[');
            (decl || subset).then_some(Hit {
                rule: XssRule::XmlDeclaration,
                span: body,
            })
        }
        Event::Pi { body } => {
            let b = text(body);
            let code = [&b"import"[..], b"xml-stylesheet", b"xml:namespace"]
                .iter()
                .any(|p| starts_with_ci(b, p));
            code.then_some(Hit {
                rule: XssRule::ProcessingInstruction,
                span: body,
            })
        }
    }
}

/// `on` followed by at least two ASCII letters and nothing else: the shape of an event-handler name.
fn is_event_like(name: &[u8]) -> bool {
    name.len() >= 4 && starts_with_ci(name, b"on") && name[2..].iter().all(u8::is_ascii_alphabetic)
}
