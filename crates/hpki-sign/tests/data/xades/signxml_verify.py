"""Checks a XAdES signature written by hpki-sign with signxml's XAdES verifier, and computes,
independently of hpki-sign (lxml / libxml2), the octets its time-stamps must cover.

    python3 signxml_verify.py SIGNATURE.xml SIGNER.pem [URI DATA_FILE]

SIGNER.pem is the certificate expected to have signed (see below). URI/DATA_FILE resolve the
external reference of a detached signature. Prints, one per line:

    VERIFIED <references>            signxml accepted the signature
    SIGNER <subject>                 the certificate it verified with
    KEY_MATCH yes|no                 that certificate's key is SIGNER.pem's
    SIGNATURE_VALUE_C14N <base64>    exclusive C14N of ds:SignatureValue (SignatureTimeStamp input)
    ARCHIVE_INPUT <base64>           per xades141:ArchiveTimeStamp, in order: EN 319 132-1 5.5.2.2

Exits 1 with the error when signxml refuses the signature.
"""

import base64
import sys

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from lxml import etree
from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
XADES141 = "http://uri.etsi.org/01903/v1.4.1#"
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"


def c14n(element):
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def main():
    path, signer_pem = sys.argv[1:3]
    uri, data_file = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else (None, None)
    data = open(path, "rb").read()
    external = open(data_file, "rb").read() if data_file else None

    # signxml builds certificate paths with cryptography's x509.verification, whose extension
    # policies cannot express certificatePolicies: it refuses any certificate where that
    # extension is critical, as it is in every HPKI certificate (the same limit as
    # rustls-webpki). So the expected signer certificate is given to signxml (its x509_cert,
    # "established out of band"), and the path to the root is left to xmlsec1 (OpenSSL) and
    # hpki-verify. signxml still checks the three references, the signature value with that
    # certificate's key and that SigningCertificateV2 names it.
    signer = x509.load_pem_x509_certificate(open(signer_pem, "rb").read())
    try:
        results = XAdESVerifier().verify(
            data,
            x509_cert=signer,
            expect_config=XAdESSignatureConfiguration(),
            uri_resolver=(lambda u: external if u == uri else None) if uri else None,
        )
    except Exception as e:  # noqa: BLE001 - the reason is what the test shows
        print(f"signxml refused the signature: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    print("VERIFIED", len(results))

    expected_key = signer.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    key_match = all(r.signature_key == expected_key for r in results)
    print("SIGNER", signer.subject.rfc4514_string())
    print("KEY_MATCH", "yes" if key_match else "no")

    tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False)).getroottree()
    signature = tree.getroot()
    if signature.tag != f"{{{DS}}}Signature":
        signature = tree.find(f".//{{{DS}}}Signature")
    value = signature.find(f"{{{DS}}}SignatureValue")
    print("SIGNATURE_VALUE_C14N", base64.b64encode(c14n(value)).decode())

    def by_id(value):
        # XML-DSig leaves the ID attribute to the application: Id, ID or id (the MHLW
        # e-prescription layout writes id).
        found = tree.xpath("//*[@Id=$v or @ID=$v or @id=$v]", v=value)
        assert len(found) == 1, f"ID {value}: {len(found)} elements"
        return found[0]

    def reference_octets(reference):
        ref_uri = reference.get("URI")
        transforms = [t.get("Algorithm") for t in reference.findall(f"{{{DS}}}Transforms/{{{DS}}}Transform")]
        if ref_uri == "":
            assert transforms == [ENVELOPED, EXC], transforms
            copy = etree.fromstring(etree.tostring(tree))
            sig_copy = copy.xpath("//*[@Id=$v]", v=signature.get("Id"))[0]
            parent, tail = sig_copy.getparent(), sig_copy.tail
            previous = sig_copy.getprevious()
            parent.remove(sig_copy)
            if tail:
                if previous is not None:
                    previous.tail = (previous.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
            return c14n(copy)
        if ref_uri.startswith("#"):
            assert transforms == [EXC], transforms
            return c14n(by_id(ref_uri[1:]))
        assert transforms == [] and ref_uri == uri, (ref_uri, transforms)
        return external

    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    key_info = signature.find(f"{{{DS}}}KeyInfo")
    usp = signature.find(
        f"{{{DS}}}Object/{{{XADES}}}QualifyingProperties/{{{XADES}}}UnsignedProperties/{{{XADES}}}UnsignedSignatureProperties"
    )
    properties = list(usp) if usp is not None else []
    for i, prop in enumerate(properties):
        if prop.tag != f"{{{XADES141}}}ArchiveTimeStamp":
            continue
        method = prop.find(f"{{{DS}}}CanonicalizationMethod")
        assert method is not None and method.get("Algorithm") == EXC
        octets = b"".join(reference_octets(r) for r in signed_info.findall(f"{{{DS}}}Reference"))
        octets += c14n(signed_info) + c14n(value) + c14n(key_info)
        octets += b"".join(c14n(p) for p in properties[:i] if isinstance(p.tag, str))
        print("ARCHIVE_INPUT", base64.b64encode(octets).decode())


if __name__ == "__main__":
    main()
