//! The XML a signature lives in: reading it (uppsala, the parser bergshamra canonicalizes on,
//! after a strict well-formedness check by roxmltree), canonicalizing node-sets, XML-DSig
//! reference processing, and splicing new elements into the text.
//!
//! The text is never re-serialized: new elements are inserted into the original bytes, so
//! everything already signed stays byte-for-byte what it was.

use std::ops::Range;

use base64::Engine as _;
use bergshamra::c14n::C14nMode;
use bergshamra::xml::NodeSet;
use bergshamra::xml::uppsala::{self, Document, Element, NodeId};

use super::xpath;
use super::{
    ALG_C14N10, ALG_ENVELOPED, NS_DS, NS_EXC_C14N, NS_XADES, NS_XADES141, QUALIFYING_PROPERTIES,
};
use crate::SignError;

/// Names of the attributes that identify an element for `URI="#…"` (XML-DSig §4.3.3.3 leaves it
/// to the application; these are the ones xmlsec1, signxml and bergshamra look at).
const ID_ATTRIBUTES: [&str; 3] = ["Id", "ID", "id"];

pub(super) fn xml_error(e: impl std::fmt::Display) -> SignError {
    SignError::Xml(e.to_string())
}

/// Base64 of `bytes` (RFC 4648 §4, one line).
pub(super) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The content of an XML-DSig / XAdES base64 element (whitespace allowed, XML-DSig §4.5).
pub(super) fn unb64(text: &str, what: &str) -> Result<Vec<u8>, SignError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| SignError::Xml(format!("{what}: bad base64 ({e})")))
}

/// Checks what uppsala is not asked to: the text is well-formed XML 1.0 with namespaces, has
/// no DTD (no entity expansion, no default attributes that would change the canonical form),
/// and is UTF-8 (`&str` is; an XML declaration must not claim another encoding).
pub(super) fn check_well_formed(text: &str) -> Result<(), SignError> {
    roxmltree::Document::parse(text).map_err(xml_error)?;
    if let Some(decl) = text.strip_prefix("<?xml") {
        let decl = decl.split("?>").next().unwrap_or_default();
        if let Some(pos) = decl.find("encoding") {
            let value: String = decl[pos + "encoding".len()..]
                .trim_start()
                .trim_start_matches('=')
                .trim_start()
                .chars()
                .skip(1)
                .take_while(|c| *c != '"' && *c != '\'')
                .collect();
            if !value.eq_ignore_ascii_case("utf-8") && !value.eq_ignore_ascii_case("utf8") {
                return Err(SignError::Xml(format!(
                    "encoding {value} is declared; only UTF-8 is supported"
                )));
            }
        }
    }
    Ok(())
}

/// A canonicalization method: one of the six W3C algorithms, with the exclusive C14N
/// `InclusiveNamespaces PrefixList` when given.
#[derive(Clone, Debug)]
pub(super) struct C14n {
    pub mode: C14nMode,
    pub prefixes: Vec<String>,
}

impl C14n {
    pub fn exclusive() -> C14n {
        C14n {
            mode: C14nMode::Exclusive,
            prefixes: Vec::new(),
        }
    }

    pub fn from_uri(uri: &str) -> Result<C14n, SignError> {
        C14nMode::from_uri(uri)
            .map(|mode| C14n {
                mode,
                prefixes: Vec::new(),
            })
            .ok_or_else(|| SignError::UnsupportedTransform(uri.to_owned()))
    }
}

/// The result of dereferencing and transforming a `ds:Reference` (XML-DSig §4.3.3.2).
pub(super) enum Data {
    Nodes(NodeSet),
    Octets(Vec<u8>),
}

/// A parsed document and its text.
pub(super) struct Xml<'a> {
    pub text: &'a str,
    pub doc: Document<'a>,
}

impl<'a> Xml<'a> {
    /// Parses `text` after [`check_well_formed`].
    pub fn parse(text: &'a str) -> Result<Xml<'a>, SignError> {
        check_well_formed(text)?;
        let doc = uppsala::parse(text).map_err(xml_error)?;
        Ok(Xml { text, doc })
    }

    pub fn element(&self, id: NodeId) -> Option<&Element<'a>> {
        self.doc.element(id)
    }

    pub fn root_element(&self) -> Result<NodeId, SignError> {
        self.doc
            .document_element()
            .ok_or_else(|| SignError::Xml("no document element".into()))
    }

    /// Whether `id` is the element `{ns}local` (`ns` empty: no namespace).
    pub fn is(&self, id: NodeId, ns: &str, local: &str) -> bool {
        self.element(id).is_some_and(|e| {
            *e.name.local_name == *local && e.name.namespace_uri.as_deref().unwrap_or("") == ns
        })
    }

    pub fn child_elements(&self, id: NodeId) -> Vec<NodeId> {
        self.doc
            .children(id)
            .into_iter()
            .filter(|c| self.element(*c).is_some())
            .collect()
    }

    pub fn children_named(&self, id: NodeId, ns: &str, local: &str) -> Vec<NodeId> {
        self.child_elements(id)
            .into_iter()
            .filter(|c| self.is(*c, ns, local))
            .collect()
    }

    pub fn child(&self, id: NodeId, ns: &str, local: &str) -> Option<NodeId> {
        self.children_named(id, ns, local).into_iter().next()
    }

    /// The only child `{ns}local`, or an error naming it.
    pub fn required_child(&self, id: NodeId, ns: &str, local: &str) -> Result<NodeId, SignError> {
        match self.children_named(id, ns, local)[..] {
            [one] => Ok(one),
            [] => Err(SignError::Xml(format!("{local} is missing"))),
            _ => Err(SignError::Xml(format!("{local} appears more than once"))),
        }
    }

    pub fn descendants_named(&self, ns: &str, local: &str) -> Vec<NodeId> {
        self.doc
            .descendants(self.doc.root())
            .into_iter()
            .filter(|d| self.is(*d, ns, local))
            .collect()
    }

    /// An unqualified attribute.
    pub fn attr(&self, id: NodeId, name: &str) -> Option<&str> {
        self.element(id).and_then(|e| {
            e.attributes
                .iter()
                .find(|a| *a.name.local_name == *name && a.name.namespace_uri.is_none())
                .map(|a| &*a.value)
        })
    }

    /// The value of the element's `Id` (or `ID`, `id`) attribute.
    pub fn id_of(&self, id: NodeId) -> Option<&str> {
        ID_ATTRIBUTES.iter().find_map(|a| self.attr(id, a))
    }

    /// The text content of an element (all descendant text, as XPath `string()`).
    pub fn text_of(&self, id: NodeId) -> String {
        self.doc.text_content_deep(id)
    }

    /// The element whose ID is `value`; an error when none or several carry it.
    pub fn find_id(&self, value: &str) -> Result<NodeId, SignError> {
        let found: Vec<NodeId> = self
            .doc
            .descendants(self.doc.root())
            .into_iter()
            .filter(|d| self.id_of(*d) == Some(value))
            .collect();
        match found[..] {
            [one] => Ok(one),
            [] => Err(SignError::Xml(format!("no element has the ID {value}"))),
            _ => Err(SignError::Xml(format!(
                "the ID {value} is used {} times",
                found.len()
            ))),
        }
    }

    /// Whether any element carries the ID `value`.
    pub fn has_id(&self, value: &str) -> bool {
        self.doc
            .descendants(self.doc.root())
            .into_iter()
            .any(|d| self.id_of(d) == Some(value))
    }

    pub fn range(&self, id: NodeId) -> Result<Range<usize>, SignError> {
        self.doc
            .node_range(id)
            .filter(|r| r.end <= self.text.len() && r.start < r.end)
            .ok_or_else(|| SignError::Xml("element without a source position".into()))
    }

    /// A non-empty prefix bound to `ns` where `id` is (the nearest declaration of each prefix
    /// counts), to write new elements under `id` without declaring the namespace again.
    pub fn prefix_for(&self, id: NodeId, ns: &str) -> Option<String> {
        let mut seen: Vec<String> = Vec::new();
        let mut chain = vec![id];
        chain.extend(self.doc.ancestors(id));
        for node in chain {
            let Some(e) = self.element(node) else {
                continue;
            };
            for (prefix, uri) in &e.namespace_declarations {
                if seen.iter().any(|s| **s == **prefix) {
                    continue;
                }
                seen.push(prefix.to_string());
                if **uri == *ns && !prefix.is_empty() {
                    return Some(prefix.to_string());
                }
            }
        }
        None
    }

    /// The text with `content` inserted as the last content of element `id` (an empty
    /// `<a/>` becomes `<a>content</a>`).
    pub fn insert_last(&self, id: NodeId, content: &str) -> Result<String, SignError> {
        let range = self.range(id)?;
        let source = &self.text[range.clone()];
        let mut out = String::with_capacity(self.text.len() + content.len() + 32);
        if source.ends_with("/>") && !source.contains("</") {
            let name = self
                .element(id)
                .map(|e| e.name.prefixed_name().into_owned())
                .ok_or_else(|| SignError::Xml("not an element".into()))?;
            out.push_str(&self.text[..range.end - 2]);
            out.push('>');
            out.push_str(content);
            out.push_str("</");
            out.push_str(&name);
            out.push('>');
        } else {
            let close = source
                .rfind("</")
                .ok_or_else(|| SignError::Xml("element without an end tag".into()))?;
            out.push_str(&self.text[..range.start + close]);
            out.push_str(content);
            out.push_str(&self.text[range.start + close..range.end]);
        }
        out.push_str(&self.text[range.end..]);
        Ok(out)
    }

    /// The text with `content` inserted right after element `id`.
    pub fn insert_after(&self, id: NodeId, content: &str) -> Result<String, SignError> {
        let end = self.range(id)?.end;
        Ok([&self.text[..end], content, &self.text[end..]].concat())
    }

    /// The text with the attribute `name="value"` added to the start tag of `id`.
    pub fn add_attribute(&self, id: NodeId, name: &str, value: &str) -> Result<String, SignError> {
        let start = self.range(id)?.start;
        let qname = self
            .element(id)
            .map(|e| e.name.prefixed_name().into_owned())
            .ok_or_else(|| SignError::Xml("not an element".into()))?;
        let at = start + 1 + qname.len();
        if self.text.get(start + 1..at) != Some(qname.as_str()) {
            return Err(SignError::Xml(format!(
                "cannot find the start tag of {qname}"
            )));
        }
        Ok([
            &self.text[..at],
            " ",
            name,
            "=\"",
            &super::build::escape_attr(value),
            "\"",
            &self.text[at..],
        ]
        .concat())
    }

    /// The subtree of `id` without comments (the node-set of `URI="#id"`, XML-DSig §4.3.3.3).
    pub fn subtree(&self, id: NodeId) -> NodeSet {
        NodeSet::tree_without_comments(id, &self.doc)
    }

    /// `set` canonicalized with `method`.
    pub fn canonicalize(&self, set: &NodeSet, method: &C14n) -> Result<Vec<u8>, SignError> {
        bergshamra::c14n::canonicalize_doc(&self.doc, method.mode, Some(set), &method.prefixes)
            .map_err(|e| SignError::Xml(format!("canonicalization: {e}")))
    }

    /// Element `id` canonicalized with `method`.
    pub fn canonical_element(&self, id: NodeId, method: &C14n) -> Result<Vec<u8>, SignError> {
        self.canonicalize(&self.subtree(id), method)
    }

    /// The canonicalization method an element names (`ds:CanonicalizationMethod` or
    /// `ds:Transform`), with its exclusive C14N `PrefixList`.
    pub fn c14n_of(&self, method: NodeId) -> Result<C14n, SignError> {
        let uri = self
            .attr(method, "Algorithm")
            .ok_or_else(|| SignError::Xml("Algorithm is missing".into()))?;
        let mut c14n = C14n::from_uri(uri)?;
        if c14n.mode.is_exclusive()
            && let Some(incl) = self.child(method, NS_EXC_C14N, "InclusiveNamespaces")
        {
            c14n.prefixes = self
                .attr(incl, "PrefixList")
                .unwrap_or_default()
                .split_ascii_whitespace()
                .map(str::to_owned)
                .collect();
        }
        Ok(c14n)
    }

    /// The canonicalization a XAdES time-stamp container names, by default Canonical XML 1.0
    /// (TS 101 903 §7.1.4.3).
    pub fn time_stamp_c14n(&self, container: NodeId) -> Result<C14n, SignError> {
        match self.child(container, NS_DS, "CanonicalizationMethod") {
            Some(m) => self.c14n_of(m),
            None => C14n::from_uri(ALG_C14N10),
        }
    }

    /// Dereferences `reference` (a `ds:Reference` of `signature`) and applies its transforms
    /// (XML-DSig §4.3.3): `URI=""` is the document without comments, `URI="#id"` the
    /// element with that ID without comments, any other URI the octets `external` gives for it.
    /// Transforms: enveloped-signature, the six canonicalizations, and the XPath filters of the
    /// enveloped pattern ([`xpath`]).
    pub fn process_reference(
        &self,
        signature: NodeId,
        reference: NodeId,
        external: &dyn Fn(&str) -> Option<Vec<u8>>,
    ) -> Result<Data, SignError> {
        let uri = self
            .attr(reference, "URI")
            .ok_or_else(|| SignError::Xml("a Reference without URI is not supported".into()))?;
        let mut data = if uri.is_empty() {
            Data::Nodes(NodeSet::all_without_comments(&self.doc))
        } else if let Some(id) = uri.strip_prefix('#') {
            if id.starts_with("xpointer(") {
                return Err(SignError::UnsupportedTransform(format!("URI {uri}")));
            }
            Data::Nodes(self.subtree(self.find_id(id)?))
        } else {
            Data::Octets(external(uri).ok_or(SignError::NoContent)?)
        };
        if let Some(transforms) = self.child(reference, NS_DS, "Transforms") {
            for t in self.children_named(transforms, NS_DS, "Transform") {
                let alg = self
                    .attr(t, "Algorithm")
                    .ok_or_else(|| SignError::Xml("Transform without Algorithm".into()))?;
                data = match (alg, data) {
                    (ALG_ENVELOPED, Data::Nodes(mut set)) => {
                        self.remove_subtree(&mut set, signature);
                        Data::Nodes(set)
                    }
                    (xpath::ALG_XPATH, Data::Nodes(mut set)) => {
                        let removal = xpath::xpath_filter(self, t)?;
                        self.remove(&mut set, removal, signature);
                        Data::Nodes(set)
                    }
                    (xpath::ALG_XPATH_FILTER2, Data::Nodes(mut set)) => {
                        for removal in xpath::filter2(self, t)? {
                            self.remove(&mut set, removal, signature);
                        }
                        Data::Nodes(set)
                    }
                    (alg, Data::Nodes(set)) if C14nMode::from_uri(alg).is_some() => {
                        Data::Octets(self.canonicalize(&set, &self.c14n_of(t)?)?)
                    }
                    (alg, _) => return Err(SignError::UnsupportedTransform(alg.to_owned())),
                };
            }
        }
        Ok(data)
    }

    /// The octets of a processed reference; a node-set result is canonicalized with `c14n`.
    pub fn reference_octets(
        &self,
        signature: NodeId,
        reference: NodeId,
        external: &dyn Fn(&str) -> Option<Vec<u8>>,
        c14n: &C14n,
    ) -> Result<Vec<u8>, SignError> {
        match self.process_reference(signature, reference, external)? {
            Data::Octets(o) => Ok(o),
            Data::Nodes(set) => self.canonicalize(&set, c14n),
        }
    }

    /// Applies an XPath transform's removal to `set` (see [`xpath`]).
    fn remove(&self, set: &mut NodeSet, removal: xpath::Removal, signature: NodeId) {
        match removal {
            xpath::Removal::ThisSignature => self.remove_subtree(set, signature),
            xpath::Removal::EverySignature => {
                for s in self.descendants_named(NS_DS, "Signature") {
                    self.remove_subtree(set, s);
                }
            }
        }
    }

    fn remove_subtree(&self, set: &mut NodeSet, id: NodeId) {
        set.remove_id(id);
        for child in self.doc.children(id) {
            self.remove_subtree(set, child);
        }
    }

    /// Every XAdES signature of the document, in document order: each `ds:Signature` whose
    /// `ds:Object` holds `xades:QualifyingProperties`. A document may carry several (a
    /// dispensing result holds the prescriber's and the pharmacist's, one inside the part the
    /// other signs).
    pub fn xades_signatures(&self) -> Vec<Signature> {
        let mut found = Vec::new();
        for sig in self.descendants_named(NS_DS, "Signature") {
            for object in self.children_named(sig, NS_DS, "Object") {
                for qp in self.children_named(object, NS_XADES, QUALIFYING_PROPERTIES) {
                    found.push(Signature {
                        signature: sig,
                        object,
                        qualifying_properties: qp,
                    });
                }
            }
        }
        found
    }

    /// The XAdES signature of the document: the only one (or the one with ID `id`), for the
    /// operations that change a signature.
    pub fn xades_signature(&self, id: Option<&str>) -> Result<Signature, SignError> {
        let mut found: Vec<Signature> = self
            .xades_signatures()
            .into_iter()
            .filter(|s| id.is_none_or(|id| self.id_of(s.signature) == Some(id)))
            .collect();
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(SignError::NotXades(
                "no ds:Signature with xades:QualifyingProperties (v1.3.2)".into(),
            )),
            n => Err(SignError::NotXades(format!(
                "{n} XAdES signatures in the document; one expected"
            ))),
        }
    }

    /// `xades:UnsignedSignatureProperties` of a signature, if present.
    pub fn unsigned_signature_properties(&self, sig: &Signature) -> Option<NodeId> {
        let up = self.child(sig.qualifying_properties, NS_XADES, "UnsignedProperties")?;
        self.child(up, NS_XADES, "UnsignedSignatureProperties")
    }

    /// The unsigned signature properties, in order.
    pub fn unsigned_properties_list(&self, sig: &Signature) -> Vec<NodeId> {
        self.unsigned_signature_properties(sig)
            .map(|usp| self.child_elements(usp))
            .unwrap_or_default()
    }

    /// Whether an unsigned property is `{ns}local`.
    pub fn unsigned_named(&self, sig: &Signature, ns: &str, local: &str) -> Vec<NodeId> {
        self.unsigned_properties_list(sig)
            .into_iter()
            .filter(|p| self.is(*p, ns, local))
            .collect()
    }

    /// Archive time-stamps (`xades141:ArchiveTimeStamp`).
    pub fn archive_time_stamps(&self, sig: &Signature) -> Vec<NodeId> {
        self.unsigned_named(sig, NS_XADES141, "ArchiveTimeStamp")
    }

    /// The text with `content` appended to the unsigned signature properties of `sig`
    /// (creating `xades:UnsignedProperties` / `xades:UnsignedSignatureProperties` when absent,
    /// TS 101 903 §6.2). `content` is built by `make` with the prefixes in scope there.
    pub fn append_unsigned(
        &self,
        sig: &Signature,
        make: &dyn Fn(&Prefixes) -> String,
    ) -> Result<String, SignError> {
        if let Some(usp) = self.unsigned_signature_properties(sig) {
            let p = Prefixes::at(self, usp);
            return self.insert_last(usp, &make(&p));
        }
        let qp = sig.qualifying_properties;
        let p = Prefixes::at(self, qp);
        let x = &p.xades;
        let content = format!(
            "<{x}:UnsignedProperties{decl}><{x}:UnsignedSignatureProperties>{inner}</{x}:UnsignedSignatureProperties></{x}:UnsignedProperties>",
            decl = p.xades_decl,
            inner = make(&Prefixes {
                xades_decl: String::new(),
                ..p.clone()
            }),
        );
        match self.child(qp, NS_XADES, "UnsignedProperties") {
            // UnsignedProperties without UnsignedSignatureProperties: add it first inside.
            Some(up) => {
                let p = Prefixes::at(self, up);
                let x = &p.xades;
                let inner = format!(
                    "<{x}:UnsignedSignatureProperties{decl}>{content}</{x}:UnsignedSignatureProperties>",
                    decl = p.xades_decl,
                    content = make(&Prefixes {
                        xades_decl: String::new(),
                        ..p.clone()
                    }),
                );
                let start = self.range(up)?.start;
                let tag_end = self.text[start..]
                    .find('>')
                    .map(|i| start + i + 1)
                    .ok_or_else(|| SignError::Xml("unterminated start tag".into()))?;
                if self.text[start..tag_end].ends_with("/>") {
                    self.insert_last(up, &inner)
                } else {
                    Ok([&self.text[..tag_end], &inner, &self.text[tag_end..]].concat())
                }
            }
            None => self.insert_last(qp, &content),
        }
    }
}

/// A XAdES signature in a document.
#[derive(Clone, Copy, Debug)]
pub(super) struct Signature {
    pub signature: NodeId,
    pub object: NodeId,
    pub qualifying_properties: NodeId,
}

/// The prefixes to write new XAdES elements with at a place in a document: the ones in scope,
/// or `ds` / `xades` / `xades141` declared on the new element (`*_decl`).
#[derive(Clone, Debug)]
pub(super) struct Prefixes {
    pub ds: String,
    pub ds_decl: String,
    pub xades: String,
    pub xades_decl: String,
    pub xades141: String,
    pub xades141_decl: String,
}

impl Prefixes {
    pub fn at(xml: &Xml<'_>, id: NodeId) -> Prefixes {
        let one = |ns: &str, default: &str| match xml.prefix_for(id, ns) {
            Some(p) => (p, String::new()),
            None => (default.to_owned(), format!(" xmlns:{default}=\"{ns}\"")),
        };
        let (ds, ds_decl) = one(NS_DS, "ds");
        let (xades, xades_decl) = one(NS_XADES, "xades");
        let (xades141, xades141_decl) = one(NS_XADES141, "xades141");
        Prefixes {
            ds,
            ds_decl,
            xades,
            xades_decl,
            xades141,
            xades141_decl,
        }
    }

    /// The declarations a new top-level element needs for `ds` and `xades`.
    pub fn decls(&self) -> String {
        [self.ds_decl.as_str(), self.xades_decl.as_str()].concat()
    }
}
