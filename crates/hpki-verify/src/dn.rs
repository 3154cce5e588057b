//! Distinguished names as text (RFC 4514), for reports and error messages.
//!
//! [`display`] writes exactly what x509-cert's `Display` for `Name` writes — RDNs in reverse
//! order, each attribute as `SHORTNAME=value` with RFC 4514 §2.4 escaping, or `OID=#hex` — but
//! looks the attribute types HPKI names use up in a small table instead of walking const-oid's
//! whole database for each attribute, which made naming certificates a sixth of the time of a
//! document verification. An attribute type outside the table is written by x509-cert itself.

use std::fmt::Write;

use const_oid::ObjectIdentifier;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::Name;

/// The attribute types of HPKI and most PKI names, with const-oid's shortest name for each in
/// upper case (what x509-cert writes; checked by a test).
const SHORT_NAMES: &[(ObjectIdentifier, &str)] = &[
    (ObjectIdentifier::new_unwrap("2.5.4.3"), "CN"),
    (ObjectIdentifier::new_unwrap("2.5.4.6"), "C"),
    (ObjectIdentifier::new_unwrap("2.5.4.10"), "O"),
    (ObjectIdentifier::new_unwrap("2.5.4.11"), "OU"),
    (ObjectIdentifier::new_unwrap("2.5.4.7"), "L"),
    (ObjectIdentifier::new_unwrap("2.5.4.8"), "ST"),
    (ObjectIdentifier::new_unwrap("2.5.4.5"), "SERIALNUMBER"),
    (ObjectIdentifier::new_unwrap("2.5.4.4"), "SN"),
    (ObjectIdentifier::new_unwrap("2.5.4.42"), "GN"),
    (ObjectIdentifier::new_unwrap("2.5.4.12"), "TITLE"),
    (
        ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.25"),
        "DC",
    ),
    (
        ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.1"),
        "UID",
    ),
];

/// `name` as RFC 4514 text, identical to x509-cert's `Display` (see the module documentation).
pub fn display(name: &Name) -> String {
    let mut out = String::new();
    let rdns: Vec<_> = name.iter_rdn().collect();
    for (i, rdn) in rdns.into_iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            write_atv(&mut out, atv);
        }
    }
    out
}

fn write_atv(out: &mut String, atv: &AttributeTypeAndValue) {
    use der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
    use der::{Tag, Tagged};
    let short = SHORT_NAMES
        .iter()
        .find(|(oid, _)| *oid == atv.oid)
        .map(|(_, s)| *s);
    let value = match atv.value.tag() {
        Tag::PrintableString => PrintableStringRef::try_from(&atv.value)
            .ok()
            .map(|s| s.as_str()),
        Tag::Utf8String => Utf8StringRef::try_from(&atv.value).ok().map(|s| s.as_str()),
        Tag::Ia5String => Ia5StringRef::try_from(&atv.value).ok().map(|s| s.as_str()),
        Tag::TeletexString => TeletexStringRef::try_from(&atv.value)
            .ok()
            .map(|s| s.as_str()),
        _ => None,
    };
    let (Some(short), Some(value)) = (short, value) else {
        let _ = write!(out, "{atv}");
        return;
    };
    out.push_str(short);
    out.push('=');
    // RFC 4514 §2.4, as x509-cert escapes.
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || chars.peek().is_none() => out.push_str("\\ "),
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\x00'..='\x1f' | '\x7f' => {
                let _ = write!(out, "\\{:02x}", c as u8);
            }
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn the_table_has_const_oids_shortest_names() {
        for (oid, short) in SHORT_NAMES {
            let db = const_oid::db::DB
                .find_names_for_oid(*oid)
                .min_by_key(|n| n.len())
                .map(|s| s.to_ascii_uppercase());
            assert_eq!(db.as_deref(), Some(*short), "{oid}");
        }
    }

    #[test]
    fn names_read_as_x509_cert_writes_them() {
        for text in [
            "CN=Taro Nichii,O=Nichii Hospital,C=JP",
            "CN=JMA HPKI CA for Non-Repudiation,OU=HPKI,O=Japan Medical Association,C=JP",
            "SERIALNUMBER=JMA9999999999+CN=Taro Nichii,L=Bunkyo-ku,ST=Tokyo,C=JP",
            "CN=\\#hash\\, with\\+escapes\\;\\<\\>\\\\ and a space\\ ,O=x",
            "DC=example,DC=org,UID=someone,TITLE=Director,GN=Taro,SN=Nichii",
            "CN=日医　太郎,O=日医病院",
            "2.5.4.65=#0c0670736575646f",
        ] {
            let name = Name::from_str(text).unwrap();
            assert_eq!(display(&name), name.to_string(), "{text}");
        }
        assert_eq!(display(&Name::default()), "");
    }
}
