"""The XML signature (XMLDSig) of an edXML package, checked against the certificate the province configured
(EDXML_CERT_FILE: the hub's or the sending system's). Its outcome is kept with the document and shown at review:

- `unsigned`: no signature at all (refused by `dondoc import-edxml` unless --allow-unsigned);
- `unchecked`: signed, but no certificate is configured to check it against;
- `verified`: the signature verifies with that certificate, over the whole package (reference URI "");
- `invalid`: it does not (the reason is kept): the package may have been changed after it was signed.

SHA-1 is accepted as well as SHA-2: the exchange hub's own samples sign with rsa-sha1.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.edxml.package import parse_xml, signature_element

UNSIGNED, UNCHECKED, VERIFIED, INVALID = "unsigned", "unchecked", "verified", "invalid"


@dataclass(frozen=True)
class SignatureCheck:
    state: str
    reason: str = ""


def check_signature(data: bytes, cert_pem: bytes | None) -> SignatureCheck:
    root = parse_xml(data)
    if signature_element(root) is None:
        return SignatureCheck(UNSIGNED)
    if not cert_pem:
        return SignatureCheck(UNCHECKED)
    from signxml import SignatureConfiguration, XMLVerifier
    from signxml.algorithms import DigestAlgorithm, SignatureMethod

    config = SignatureConfiguration(location=".//", signature_methods=frozenset(SignatureMethod),
                                    digest_algorithms=frozenset(DigestAlgorithm))
    try:
        XMLVerifier().verify(root, x509_cert=cert_pem.decode("ascii", "replace"), expect_config=config)
    except Exception as e:  # noqa: BLE001 - signxml raises several kinds; each one means "does not verify"
        return SignatureCheck(INVALID, f"{type(e).__name__}: {e}"[:300])
    return SignatureCheck(VERIFIED)
