//! Name lists for the XSS detector, each sorted (a unit test checks it) and searched with a binary search.

/// Elements whose mere start tag is flagged: they run script, load active content, change how the rest of the
/// page is parsed or resolved (`base`, `meta`, `form`, raw-text elements), or are legacy script vectors.
pub(crate) static DANGEROUS_TAGS: &[&str] = &[
    "applet", "base", "bgsound", "embed", "form", "frame", "frameset", "iframe", "ilayer", "import", "isindex",
    "layer", "link", "listing", "math", "meta", "noembed", "noframes", "object", "plaintext", "portal", "script",
    "style", "svg", "template", "vmlframe", "xml", "xmp",
];

/// Event-handler attribute names browsers (current and legacy) run, used where an attribute may be an accident of
/// the parse (attribute-value contexts); real tags flag any `on*` attribute.
pub(crate) static EVENT_HANDLERS: &[&str] = &[
    "onabort", "onactivate", "onafterprint", "onafterscriptexecute", "onafterupdate", "onanimationcancel",
    "onanimationend", "onanimationiteration", "onanimationstart", "onauxclick", "onbeforeactivate", "onbeforecopy",
    "onbeforecut", "onbeforedeactivate", "onbeforeeditfocus", "onbeforeinput", "onbeforematch", "onbeforepaste",
    "onbeforeprint", "onbeforescriptexecute", "onbeforetoggle", "onbeforeunload", "onbeforeupdate", "onbegin",
    "onblur", "onbounce", "oncancel", "oncanplay", "oncanplaythrough", "oncellchange", "onchange", "onclick",
    "onclose", "oncontentvisibilityautostatechange", "oncontextlost", "oncontextmenu", "oncontextrestored",
    "oncontrolselect", "oncopy", "oncuechange", "oncut", "ondataavailable", "ondatasetchanged", "ondatasetcomplete",
    "ondblclick", "ondeactivate", "ondrag", "ondragend", "ondragenter", "ondragexit", "ondragleave", "ondragover",
    "ondragstart", "ondrop", "ondurationchange", "onemptied", "onend", "onended", "onerror", "onerrorupdate",
    "onfilterchange", "onfinish", "onfocus", "onfocusin", "onfocusout", "onformdata", "onfullscreenchange",
    "onfullscreenerror", "ongesturechange", "ongestureend", "ongesturestart", "ongotpointercapture", "onhashchange",
    "onhelp", "oninput", "oninvalid", "onkeydown", "onkeypress", "onkeyup", "onlayoutcomplete", "onload",
    "onloadeddata", "onloadedmetadata", "onloadend", "onloadstart", "onlosecapture", "onlostpointercapture",
    "onmessage", "onmessageerror", "onmousedown", "onmouseenter", "onmouseleave", "onmousemove", "onmouseout",
    "onmouseover", "onmouseup", "onmousewheel", "onmove", "onmoveend", "onmovestart", "onoffline", "ononline",
    "onpagehide", "onpagereveal", "onpageshow", "onpageswap", "onpaste", "onpause", "onplay", "onplaying",
    "onpointercancel", "onpointerdown", "onpointerenter", "onpointerleave", "onpointermove", "onpointerout",
    "onpointerover", "onpointerrawupdate", "onpointerup", "onpopstate", "onprogress", "onpropertychange",
    "onratechange", "onreadystatechange", "onrepeat", "onreset", "onresize", "onresizeend", "onresizestart",
    "onrowenter", "onrowexit", "onrowsdelete", "onrowsinserted", "onscroll", "onscrollend", "onscrollsnapchange",
    "onscrollsnapchanging", "onsearch", "onsecuritypolicyviolation", "onseeked", "onseeking", "onselect",
    "onselectionchange", "onselectstart", "onshow", "onslotchange", "onstalled", "onstart", "onstop", "onstorage",
    "onsubmit", "onsuspend", "ontimeout", "ontimeupdate", "ontoggle", "ontouchcancel", "ontouchend", "ontouchmove",
    "ontouchstart", "ontransitioncancel", "ontransitionend", "ontransitionrun", "ontransitionstart",
    "onunhandledrejection", "onunload", "onvolumechange", "onwaiting", "onwebkitanimationend",
    "onwebkitanimationiteration", "onwebkitanimationstart", "onwebkitmouseforcechanged", "onwebkitmouseforcedown",
    "onwebkitmouseforceup", "onwebkitmouseforcewillbegin", "onwebkittransitionend", "onwheel",
];

/// Attributes whose value is fetched or navigated to as a URL (including SVG animation values and `meta content`).
pub(crate) static URL_ATTRIBUTES: &[&str] = &[
    "action", "archive", "background", "by", "cite", "classid", "codebase", "content", "data", "datasrc", "dynsrc",
    "folder", "formaction", "from", "href", "icon", "imagesrc", "longdesc", "lowsrc", "manifest", "ping", "poster",
    "profile", "src", "srcset", "to", "usemap", "values", "xlink:href",
];

/// Whether `name` (lower-case) is in the sorted `list`.
pub(crate) fn contains(list: &[&str], name: &[u8]) -> bool {
    list.binary_search_by(|e| e.as_bytes().cmp(name)).is_ok()
}
