//! The layouts of the Japanese electronic prescription documents (電子処方箋, MHLW
//! 電子処方箋管理サービス; JAHIS 電子処方箋実装ガイド), read as the documents in use write them:
//!
//! ```text
//! 処方箋 (EPS1.0)                          調剤結果 (EPD1.0)
//! Document                                 Document
//!   Prescription                             DispensingManagement      (not signed)
//!     PrescriptionManagement   (not signed)    Version Value="EPD1.0"
//!       Version Value="EPS1.0"                 DispensingId Value=…
//!       PrescriptionId Value=…               Dispensing id="Dispensing" ← DispensingSign signs it
//!     PrescriptionDocument id=… ← signed       ReferencePrescription
//!     AdditionalPrescriptionInformation          PrescriptionManagement, PrescriptionDocument,
//!                              (not signed)      AdditionalPrescriptionInformation,
//!     PrescriptionSign/ds:Signature              PrescriptionSign/ds:Signature (the prescriber's)
//!                                              DispensingDocument
//!                                            AdditionalDispensedInformation (not signed)
//!                                            DispensingSign/ds:Signature (the pharmacist's)
//! ```
//!
//! The management values are written `Value="…"` (upper case) by the MHLW layout and by
//! MEDIS's software; `value="…"` (hpki before it followed them) and element text are read too.
//! What the signature does not cover (the management data, the additional information) can be
//! changed without breaking it: a verifier shows it as not signed.

use bergshamra::xml::NodeId;
use hpki_text::Text;

use super::dom::{Xml, unb64};
use super::{NS_DS, PRESCRIPTION_VERSION};
use crate::SignError;

/// The dispensing-result format version (`DispensingManagement/Version`).
pub const DISPENSING_VERSION: &str = "EPD1.0";

/// The parts of an e-prescription.
pub(super) struct PrescriptionLayout {
    pub document: NodeId,
    pub sign: Option<NodeId>,
    pub version: String,
    pub prescription_id: String,
}

fn bad(ja: String, en: String) -> SignError {
    SignError::Prescription(Text::new(ja, en))
}

/// The element children of `parent` with the local name `local`.
fn by_local(xml: &Xml<'_>, parent: NodeId, local: &str) -> Vec<NodeId> {
    xml.child_elements(parent)
        .into_iter()
        .filter(|c| {
            xml.element(*c)
                .is_some_and(|e| *e.name.local_name == *local)
        })
        .collect()
}

/// The only child `local` of `parent`.
fn one(xml: &Xml<'_>, parent: NodeId, local: &str) -> Result<NodeId, SignError> {
    match by_local(xml, parent, local)[..] {
        [one] => Ok(one),
        [] => Err(bad(
            format!("{local} がありません"),
            format!("{local} is missing"),
        )),
        _ => Err(bad(
            format!("{local} が複数あります"),
            format!("{local} appears more than once"),
        )),
    }
}

/// The child `local` of `parent` if there is one.
fn optional(xml: &Xml<'_>, parent: NodeId, local: &str) -> Result<Option<NodeId>, SignError> {
    match by_local(xml, parent, local)[..] {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(bad(
            format!("{local} が複数あります"),
            format!("{local} appears more than once"),
        )),
    }
}

/// A management value: `Value="…"` as the MHLW layout writes it, `value="…"`, or the text.
fn value_of(xml: &Xml<'_>, node: NodeId) -> String {
    xml.attr(node, "Value")
        .or_else(|| xml.attr(node, "value"))
        .map(str::to_owned)
        .unwrap_or_else(|| xml.text_of(node))
        .trim()
        .to_owned()
}

/// The document element, which must be `Document`.
fn document_element(xml: &Xml<'_>) -> Result<NodeId, SignError> {
    let root = xml.root_element()?;
    if xml
        .element(root)
        .is_none_or(|e| *e.name.local_name != *"Document")
    {
        return Err(bad(
            "文書要素が Document ではありません".into(),
            "the document element is not Document".into(),
        ));
    }
    Ok(root)
}

/// `PrescriptionManagement`, `PrescriptionDocument` and `PrescriptionSign?` under `parent`
/// (`Prescription`, or a dispensing result's `ReferencePrescription`), the ID not empty and
/// the document base64 and not empty. The version is returned as written.
fn prescription_parts(xml: &Xml<'_>, parent: NodeId) -> Result<PrescriptionLayout, SignError> {
    let management = one(xml, parent, "PrescriptionManagement")?;
    let version = value_of(xml, one(xml, management, "Version")?);
    let prescription_id = value_of(xml, one(xml, management, "PrescriptionId")?);
    if prescription_id.is_empty() {
        return Err(bad(
            "PrescriptionId が空です".into(),
            "PrescriptionId is empty".into(),
        ));
    }
    let document = one(xml, parent, "PrescriptionDocument")?;
    let csv = unb64(&xml.text_of(document), "PrescriptionDocument").map_err(|_| {
        bad(
            "PrescriptionDocument が base64 ではありません".into(),
            "PrescriptionDocument is not base64".into(),
        )
    })?;
    if csv.is_empty() {
        return Err(bad(
            "PrescriptionDocument が空です".into(),
            "PrescriptionDocument is empty".into(),
        ));
    }
    let sign = optional(xml, parent, "PrescriptionSign")?;
    Ok(PrescriptionLayout {
        document,
        sign,
        version,
        prescription_id,
    })
}

/// Finds `Document/Prescription/{PrescriptionManagement, PrescriptionDocument,
/// PrescriptionSign?}` (by local name) and checks the version ([`PRESCRIPTION_VERSION`]), the
/// ID and the base64: the document hpki signs and reads.
pub(super) fn prescription_layout(xml: &Xml<'_>) -> Result<PrescriptionLayout, SignError> {
    let root = document_element(xml)?;
    let prescription = one(xml, root, "Prescription")?;
    let layout = prescription_parts(xml, prescription)?;
    if layout.version != PRESCRIPTION_VERSION {
        return Err(bad(
            format!(
                "版 {:?} は {PRESCRIPTION_VERSION} ではありません",
                layout.version
            ),
            format!("version {:?} is not {PRESCRIPTION_VERSION}", layout.version),
        ));
    }
    Ok(layout)
}

/// Which document of the e-prescription flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MedicalDocumentKind {
    /// 処方箋: `Document/Prescription`.
    Prescription,
    /// 調剤結果: `Document/{DispensingManagement, Dispensing}`.
    Dispensing,
}

/// Who signs at a place of the layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signatory {
    /// The prescriber (`PrescriptionSign`): a doctor or dentist.
    Prescriber,
    /// The dispensing pharmacist (`DispensingSign`).
    Dispenser,
}

/// A signature at its place in a medical document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignaturePlace {
    /// The signature's position among the document's XAdES signatures (as
    /// [`super::inspect_all`] lists them).
    pub index: usize,
    /// Who signs there.
    pub signatory: Signatory,
    /// The element holding it: `PrescriptionSign` or `DispensingSign`.
    pub container: &'static str,
    /// The element it must sign: `PrescriptionDocument` or `Dispensing`.
    pub part: &'static str,
    /// Whether one of its references names that very element (by its ID, resolved to that
    /// element and no other): not a signature moved here from elsewhere (XML signature
    /// wrapping) nor one over another part.
    pub signs_its_part: bool,
}

/// A medical document's layout as [`medical_document`] reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MedicalDocument {
    /// Which document.
    pub kind: MedicalDocumentKind,
    /// The format version as written (`EPS1.0`, `EPD1.0`); not signed.
    pub version: String,
    /// Whether hpki knows the version.
    pub version_known: bool,
    /// The prescription ID or the dispensing ID; not signed.
    pub document_id: String,
    /// For a dispensing result, the ID of the prescription it answers; not signed.
    pub prescription_id: Option<String>,
    /// The signatures at their places (a place without a signature is not listed).
    pub places: Vec<SignaturePlace>,
}

/// The place of the signature inside `container` (its index among the document's XAdES
/// signatures) and whether it signs `part`.
fn place(
    xml: &Xml<'_>,
    container: Option<NodeId>,
    part: NodeId,
    names: (&'static str, &'static str),
    signatory: Signatory,
) -> Option<SignaturePlace> {
    let container_node = container?;
    let signatures = xml.xades_signatures();
    let index = signatures
        .iter()
        .position(|s| xml.doc.parent(s.signature) == Some(container_node))?;
    let signature = signatures[index].signature;
    let signs_its_part = xml.id_of(part).is_some_and(|id| {
        let references = xml
            .child(signature, NS_DS, "SignedInfo")
            .map(|si| xml.children_named(si, NS_DS, "Reference"))
            .unwrap_or_default();
        references.into_iter().any(|r| {
            xml.attr(r, "URI").and_then(|u| u.strip_prefix('#')) == Some(id)
                && xml.find_id(id).ok() == Some(part)
        })
    });
    Some(SignaturePlace {
        index,
        signatory,
        container: names.0,
        part: names.1,
        signs_its_part,
    })
}

/// Reads the layout of an e-prescription or a dispensing result; `Ok(None)` for another
/// document (the document element is not `Document`, or holds neither `Prescription` nor
/// `Dispensing`).
///
/// # Errors
/// [`SignError::Xml`]; [`SignError::Prescription`] for a medical document whose parts are
/// missing, doubled or empty.
pub fn medical_document(text: &str) -> Result<Option<MedicalDocument>, SignError> {
    let xml = Xml::parse(text)?;
    let Ok(root) = document_element(&xml) else {
        return Ok(None);
    };
    if let Some(prescription) = optional(&xml, root, "Prescription")? {
        let parts = prescription_parts(&xml, prescription)?;
        let places = place(
            &xml,
            parts.sign,
            parts.document,
            ("PrescriptionSign", "PrescriptionDocument"),
            Signatory::Prescriber,
        )
        .into_iter()
        .collect();
        return Ok(Some(MedicalDocument {
            kind: MedicalDocumentKind::Prescription,
            version_known: parts.version == PRESCRIPTION_VERSION,
            version: parts.version,
            document_id: parts.prescription_id,
            prescription_id: None,
            places,
        }));
    }
    let Some(dispensing) = optional(&xml, root, "Dispensing")? else {
        return Ok(None);
    };
    let management = one(&xml, root, "DispensingManagement")?;
    let version = value_of(&xml, one(&xml, management, "Version")?);
    let dispensing_id = value_of(&xml, one(&xml, management, "DispensingId")?);
    if dispensing_id.is_empty() {
        return Err(bad(
            "DispensingId が空です".into(),
            "DispensingId is empty".into(),
        ));
    }
    one(&xml, dispensing, "DispensingDocument")?;
    let mut places = Vec::new();
    let mut prescription_id = None;
    if let Some(reference) = optional(&xml, dispensing, "ReferencePrescription")? {
        let parts = prescription_parts(&xml, reference)?;
        prescription_id = Some(parts.prescription_id);
        places.extend(place(
            &xml,
            parts.sign,
            parts.document,
            ("PrescriptionSign", "PrescriptionDocument"),
            Signatory::Prescriber,
        ));
    }
    places.extend(place(
        &xml,
        optional(&xml, root, "DispensingSign")?,
        dispensing,
        ("DispensingSign", "Dispensing"),
        Signatory::Dispenser,
    ));
    places.sort_by_key(|p| p.index);
    Ok(Some(MedicalDocument {
        kind: MedicalDocumentKind::Dispensing,
        version_known: version == DISPENSING_VERSION,
        version,
        document_id: dispensing_id,
        prescription_id,
        places,
    }))
}
