"""Reading an edXML package (QCVN 102:2016/BTTTT), the format directives are exchanged in between agencies
through the provincial integration platform (LGSP) and the national document exchange hub.

    <edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
      <edXML:edXMLEnvelope>
        <edXML:edXMLHeader>
          <edXML:MessageHeader> From/OrganId … DocumentId ("OrganId,YYYY/MM/DD,số/ký hiệu"), Code (CodeNumber,
            CodeNotation), PromulgationInfo (Place, PromulgationDate YYYY/MM/DD), DocumentType (Type, TypeName),
            Subject, Content, SignerInfo, DueDate, SteeringType … </edXML:MessageHeader>
          <edXML:TraceHeaderList> … </edXML:TraceHeaderList>
          <Signature> … an XML signature (XMLDSig) … </Signature>
        </edXML:edXMLHeader>
        <edXML:edXMLBody> <edXML:edXMLManifest> Reference (ContentId, AttachmentName …) </edXML:edXMLManifest> </edXML:edXMLBody>
      </edXML:edXMLEnvelope>
      <AttachmentEncoded> <Attachment> ContentId, AttachmentName, ContentType, ContentTransferEncoded (Base64)
      </Attachment> </AttachmentEncoded>
    </edXML>

`read_package(data)` is pure (bytes in, `Package` out) and refuses, with every problem named at once
(`PackageError.problems`), what is not such a package: not XML, another root, no MessageHeader, no or a
malformed DocumentId, dates not YYYY/MM/DD, no attachment, an attachment that is not Base64. The XML parser
resolves no entities and reads no network or DTD (a package comes from outside). Elements are found by their
local names, in or out of the edXML namespace, as gateways differ in where they put the prefix.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from core.i18n import _

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
MAX_BYTES = 50 * 1024 * 1024
DOCUMENT_ID = re.compile(r"^(?P<organ>[^,]+),(?P<date>\d{4}/\d{2}/\d{2}),(?P<number>.+)$")


class PackageError(ValueError):
    """Not a package dondoc can read; `problems` names each thing that is wrong."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Organ:
    organ_id: str
    name: str


@dataclass(frozen=True)
class Attachment:
    content_id: str
    name: str
    content_type: str
    data: bytes


@dataclass
class Package:
    """The header of a directive's package and its attachments."""

    document_id: str  # "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT": the sender's OrganId, date, số/ký hiệu
    sender: Organ
    recipients: list[Organ]
    number: str  # số/ký hiệu, e.g. 7816/VPCP-TTĐT
    issued: date | None
    place: str
    type_code: str
    type_name: str
    subject: str
    content: str
    signer: str
    due: date | None
    steering_type: str
    signed: bool  # an XML signature is present (whether it verifies is intake.edxml.signature's)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return self.sender.name or self.sender.organ_id


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _find(parent, *path: str):
    """The first descendant along `path` of local names (each step a child), or None."""
    el = parent
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if _local(c) == name), None)
    return el


def _text(parent, *path: str) -> str:
    el = _find(parent, *path)
    return " ".join((el.text or "").split()) if el is not None else ""


def _date(text: str, what: str, problems: list[str]) -> date | None:
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", text.strip())
    try:
        if not m:
            raise ValueError
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        problems.append(_("{what} {value!r} is not a date written YYYY/MM/DD", what=what, value=text))
        return None


def parse_xml(data: bytes):
    """The root element, parsed safely; PackageError when the bytes are not well-formed XML."""
    if len(data) > MAX_BYTES:
        raise PackageError([_("the package is larger than {n} MB", n=MAX_BYTES // (1024 * 1024))])
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_blank_text=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        line = getattr(e, "lineno", None) or (e.position[0] if getattr(e, "position", None) else "?")
        raise PackageError([_("not well-formed XML (line {line}): {error}", line=line, error=e.msg)]) from None


def _organ(el) -> Organ:
    return Organ(_text(el, "OrganId"), _text(el, "OrganName") or _text(el, "OrganizationInCharge"))


def signature_element(root):
    """The XML signature of the package (ds:Signature, or a Signature element where a gateway left it
    unqualified), or None."""
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el) == "Signature" and _find(el, "SignedInfo") is not None:
            return el
    return None


def read_package(data: bytes) -> Package:
    root = parse_xml(data)
    if _local(root) != "edXML":
        raise PackageError([_("the root element is <{name}>, not <edXML>: not an edXML package",
                              name=_local(root))])
    problems: list[str] = []
    header = _find(root, "edXMLEnvelope", "edXMLHeader", "MessageHeader")
    if header is None:
        raise PackageError([_("no edXMLEnvelope/edXMLHeader/MessageHeader: not an edXML package")])
    if _find(header, "StatusCode") is not None:
        raise PackageError([_("this is a status message (StatusCode), not a document: use it as a receipt")])
    document_id = _text(header, "DocumentId")
    m = DOCUMENT_ID.match(document_id)
    if not document_id:
        problems.append(_("MessageHeader has no DocumentId"))
    elif not m:
        problems.append(_("DocumentId {value!r} is not written OrganId,YYYY/MM/DD,number", value=document_id))
    code_number, notation = _text(header, "Code", "CodeNumber"), _text(header, "Code", "CodeNotation")
    number = f"{code_number}/{notation}" if code_number and notation else (m["number"] if m else "")
    if not number:
        problems.append(_("MessageHeader has no Code (CodeNumber and CodeNotation): the directive's number"))
    issued = _date(_text(header, "PromulgationInfo", "PromulgationDate"), "PromulgationDate", problems)
    if issued is None and m and not problems:
        issued = _date(m["date"], "DocumentId", problems)
    due = _date(_text(header, "DueDate"), "DueDate", problems)
    sender = _find(header, "From")
    if sender is None or not _text(sender, "OrganId"):
        problems.append(_("MessageHeader has no From/OrganId: who sent the directive"))
    subject = _text(header, "Subject")
    if not subject:
        problems.append(_("MessageHeader has no Subject (trích yếu)"))
    attachments: list[Attachment] = []
    holder = _find(root, "AttachmentEncoded")
    for i, att in enumerate([c for c in holder if _local(c) == "Attachment"] if holder is not None else [], 1):
        name = _text(att, "AttachmentName") or f"attachment-{i}"
        raw = "".join((_find(att, "ContentTransferEncoded").text or "").split()) \
            if _find(att, "ContentTransferEncoded") is not None else ""
        try:
            content = base64.b64decode(raw, validate=True) if raw else b""
        except (binascii.Error, ValueError):
            problems.append(_("attachment {name}: its content is not Base64", name=name))
            continue
        if not content:
            problems.append(_("attachment {name} is empty", name=name))
            continue
        attachments.append(Attachment(_text(att, "ContentId"), name, _text(att, "ContentType"), content))
    if not attachments and not any("attachment" in p for p in problems):
        problems.append(_("the package has no attachment (AttachmentEncoded/Attachment): the directive's text"))
    if problems:
        raise PackageError(problems)
    signer = _find(header, "SignerInfo")
    return Package(
        document_id=document_id, sender=_organ(sender),
        recipients=[_organ(c) for c in header if _local(c) == "To"],
        number=number, issued=issued, place=_text(header, "PromulgationInfo", "Place"),
        type_code=_text(header, "DocumentType", "Type"), type_name=_text(header, "DocumentType", "TypeName"),
        subject=subject, content=_text(header, "Content"),
        signer=" ".join(x for x in (_text(signer, "Competence"), _text(signer, "Position"),
                                    _text(signer, "FullName")) if x) if signer is not None else "",
        due=due, steering_type=_text(header, "SteeringType"), signed=signature_element(root) is not None,
        attachments=attachments)
