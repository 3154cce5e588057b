//! The XPath transforms of XML-DSig, for the enveloped-signature pattern other signers write
//! instead of the enveloped-signature transform:
//!
//! - XML-DSig §6.6.3 XPath filtering (`http://www.w3.org/TR/1999/REC-xpath-19991116`): the
//!   expression is evaluated for every node of the input, which keeps the nodes where it is
//!   true. Two expressions are recognised: `not(ancestor-or-self::ds:Signature)` (every
//!   signature and what it holds removed, common in European XAdES) and
//!   `count(ancestor-or-self::ds:Signature | here()/ancestor::ds:Signature[1]) >
//!   count(ancestor-or-self::ds:Signature)` (this signature removed: XML-DSig §6.6.4's own
//!   equivalent of the enveloped-signature transform).
//! - XPath Filter 2.0 (`http://www.w3.org/2002/06/xmldsig-filter2`, W3C REC 2002): `subtract`
//!   of `/descendant::ds:Signature` or `//ds:Signature` (every signature) or
//!   `here()/ancestor::ds:Signature[1]` (this one).
//!
//! The prefix may be any bound to the XML-DSig namespace where the expression is written.
//! Other expressions are not evaluated (no general XPath engine: an expression language over
//! untrusted input with unbounded cost), and the reference is reported as not checkable.

use bergshamra::xml::uppsala::NodeId;

use super::NS_DS;
use super::dom::Xml;
use crate::SignError;

/// XML-DSig XPath filtering (XPath 1.0).
pub const ALG_XPATH: &str = "http://www.w3.org/TR/1999/REC-xpath-19991116";
/// XML-Signature XPath Filter 2.0.
pub const ALG_XPATH_FILTER2: &str = "http://www.w3.org/2002/06/xmldsig-filter2";

/// What a recognised XPath transform removes from the node set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Removal {
    /// Every `ds:Signature` element with its content.
    EverySignature,
    /// The signature this reference belongs to, with its content.
    ThisSignature,
}

/// The namespace `prefix` is bound to where `node` is.
fn namespace_of(xml: &Xml<'_>, node: NodeId, prefix: &str) -> Option<String> {
    let mut chain = vec![node];
    chain.extend(xml.doc.ancestors(node));
    chain.into_iter().find_map(|n| {
        xml.element(n)?
            .namespace_declarations
            .iter()
            .find(|(p, _)| **p == *prefix)
            .map(|(_, uri)| uri.to_string())
    })
}

/// `expr` without white space, with every `P:Signature` whose prefix is bound to the XML-DSig
/// namespace at `node` written `ds:Signature`.
fn normalised(xml: &Xml<'_>, node: NodeId, expr: &str) -> String {
    let compact: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = String::with_capacity(compact.len());
    let mut rest = compact.as_str();
    while let Some(at) = rest.find(":Signature") {
        let head = &rest[..at];
        let start = head
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
            .map_or(0, |i| i + 1);
        let prefix = &head[start..];
        out.push_str(&head[..start]);
        if namespace_of(xml, node, prefix).as_deref() == Some(NS_DS) {
            out.push_str("ds");
        } else {
            out.push_str(prefix);
            out.push('\u{0}');
        }
        out.push_str(":Signature");
        rest = &rest[at + ":Signature".len()..];
    }
    out.push_str(rest);
    out
}

fn unsupported(expr: &str) -> SignError {
    SignError::UnsupportedTransform(format!("XPath expression {:?}", expr.trim()))
}

/// The removal an XPath 1.0 filtering transform (`transform`, a `ds:Transform` element)
/// makes.
pub(super) fn xpath_filter(xml: &Xml<'_>, transform: NodeId) -> Result<Removal, SignError> {
    let node = xml
        .child(transform, NS_DS, "XPath")
        .ok_or_else(|| SignError::Xml("an XPath transform without ds:XPath".into()))?;
    let expr = xml.text_of(node);
    match normalised(xml, node, &expr).as_str() {
        "not(ancestor-or-self::ds:Signature)" => Ok(Removal::EverySignature),
        "count(ancestor-or-self::ds:Signature|here()/ancestor::ds:Signature[1])>count(ancestor-or-self::ds:Signature)" => {
            Ok(Removal::ThisSignature)
        }
        _ => Err(unsupported(&expr)),
    }
}

/// The removals of an XPath Filter 2.0 transform: each of its `XPath` elements must be a
/// `subtract` filter of a recognised expression.
pub(super) fn filter2(xml: &Xml<'_>, transform: NodeId) -> Result<Vec<Removal>, SignError> {
    let filters = xml.children_named(transform, ALG_XPATH_FILTER2, "XPath");
    if filters.is_empty() {
        return Err(SignError::Xml(
            "an XPath Filter 2.0 transform without XPath".into(),
        ));
    }
    filters
        .into_iter()
        .map(|f| {
            let expr = xml.text_of(f);
            if xml.attr(f, "Filter") != Some("subtract") {
                return Err(unsupported(&expr));
            }
            match normalised(xml, f, &expr).as_str() {
                "/descendant::ds:Signature" | "//ds:Signature" => Ok(Removal::EverySignature),
                "here()/ancestor::ds:Signature[1]" => Ok(Removal::ThisSignature),
                _ => Err(unsupported(&expr)),
            }
        })
        .collect()
}
