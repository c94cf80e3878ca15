"""edXML status messages (thông điệp trạng thái), the receipts a recipient sends back through the hub about a
document it received: 01 đã đến, 02 gửi nhầm, 03 đã tiếp nhận, 04 phân công, 05 đang xử lý, 06 hoàn thành,
13 thu hồi. dondoc writes 03, 04, 05 and 06 for the tasks of a document that came in as edXML.

    <edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
      <edXML:edXMLEnvelope xmlns:edXML="…"><edXML:edXMLHeader><edXML:MessageHeader>
        <edXML:From> OrganId, OrganName </edXML:From>
        <edXML:ResponseFor> OrganId, Code, PromulgationDate, DocumentId </edXML:ResponseFor>
        <edXML:StaffInfo> Department, Staff </edXML:StaffInfo>
        <edXML:StatusCode>05</edXML:StatusCode>
        <edXML:Description>…</edXML:Description>
        <edXML:Timestamp>YYYY/MM/DD HH:MM:SS</edXML:Timestamp>
      </edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope>
    </edXML>

`status_message` writes one (pure: bytes out); `read_status` reads one back (ours or another system's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from core.i18n import _
from intake.edxml.package import DOCUMENT_ID, NS, PackageError, _find, _local, _text, parse_xml

STATUS_TEXT = {
    "01": "Đã đến", "02": "Gửi nhầm", "03": "Đã tiếp nhận", "04": "Phân công", "05": "Đang xử lý",
    "06": "Hoàn thành", "13": "Thu hồi",
}
TIMESTAMP = "%Y/%m/%d %H:%M:%S"


@dataclass(frozen=True)
class StatusMessage:
    document_id: str  # the document it answers (ResponseFor/DocumentId)
    status: str  # "03" …
    description: str
    at: datetime  # local time as written (no offset in the format)
    organ_id: str  # who sends it
    organ_name: str
    staff: str = ""
    department: str = ""


def status_message(m: StatusMessage) -> bytes:
    """The status message as edXML bytes (UTF-8, with an XML declaration)."""
    found = DOCUMENT_ID.match(m.document_id)
    if not found:
        raise ValueError(f"not an edXML DocumentId: {m.document_id!r}")
    if m.status not in STATUS_TEXT:
        raise ValueError(f"unknown status code {m.status!r}")
    q = lambda name: f"{{{NS}}}{name}"  # noqa: E731
    # As the hub's own samples: the root in the default namespace, everything inside prefixed edXML:.
    root = etree.Element(q("edXML"), nsmap={None: NS})
    envelope = etree.SubElement(root, q("edXMLEnvelope"), nsmap={"edXML": NS})
    header = etree.SubElement(etree.SubElement(envelope, q("edXMLHeader")), q("MessageHeader"))

    def add(parent, name: str, text: str | None = None):
        el = etree.SubElement(parent, q(name))
        if text is not None:
            el.text = text
        return el

    sender = add(header, "From")
    add(sender, "OrganId", m.organ_id)
    add(sender, "OrganName", m.organ_name)
    answer = add(header, "ResponseFor")
    add(answer, "OrganId", found["organ"])
    add(answer, "Code", found["number"])
    add(answer, "PromulgationDate", found["date"])
    add(answer, "DocumentId", m.document_id)
    staff = add(header, "StaffInfo")
    add(staff, "Department", m.department)
    add(staff, "Staff", m.staff)
    add(header, "StatusCode", m.status)
    add(header, "Description", m.description)
    add(header, "Timestamp", m.at.strftime(TIMESTAMP))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def read_status(data: bytes) -> StatusMessage:
    """A status message's fields; PackageError naming what is missing when it is not one."""
    root = parse_xml(data)
    header = _find(root, "edXMLEnvelope", "edXMLHeader", "MessageHeader") if _local(root) == "edXML" else None
    if header is None:
        raise PackageError([_("no edXMLEnvelope/edXMLHeader/MessageHeader: not an edXML message")])
    problems = []
    document_id = _text(header, "ResponseFor", "DocumentId")
    code = _text(header, "StatusCode")
    if not document_id:
        problems.append(_("no ResponseFor/DocumentId: which document the status is about"))
    if code not in STATUS_TEXT:
        problems.append(_("StatusCode {value!r} is not one of {codes}", value=code, codes=", ".join(STATUS_TEXT)))
    stamp = _text(header, "Timestamp")
    try:
        at = datetime.strptime(stamp, TIMESTAMP)
    except ValueError:
        problems.append(_("Timestamp {value!r} is not written YYYY/MM/DD HH:MM:SS", value=stamp))
        at = None
    if problems:
        raise PackageError(problems)
    return StatusMessage(document_id=document_id, status=code, description=_text(header, "Description"), at=at,
                         organ_id=_text(header, "From", "OrganId"), organ_name=_text(header, "From", "OrganName"),
                         staff=_text(header, "StaffInfo", "Staff"), department=_text(header, "StaffInfo", "Department"))
