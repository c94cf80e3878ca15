"""edXML packages for tests, written after the public format (the national hub's SDK samples, QCVN 102:2016):
the envelope, a MessageHeader with the fields a directive's header has, a TraceHeaderList, the manifest and
the attachment in Base64 outside the envelope; optionally signed (XMLDSig, enveloped, over the whole package)
with a throwaway certificate from trustme."""

from __future__ import annotations

import base64
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).parent / "data" / "edxml"
DIRECTIVE_TEXT = (HERE / "812-UBND-KGVX.txt").read_bytes()
DOCUMENT_ID = "000.00.12.H19,2026/03/05,812/UBND-KGVX"


def package(*, attachment: bytes | None = DIRECTIVE_TEXT, attachment_name: str = "812-UBND-KGVX.txt",
            document_id: str = DOCUMENT_ID, promulgation: str = "2026/03/05", due: str | None = "2026/05/31",
            subject: str = "V/v triển khai chuyển đổi số trong cải cách hành chính năm 2026",
            code: tuple[str, str] = ("812", "UBND-KGVX"), encoded: str | None = None) -> bytes:
    att = ""
    if attachment is not None or encoded is not None:
        body = encoded if encoded is not None else base64.b64encode(attachment).decode()
        att = f"""
  <AttachmentEncoded>
    <Attachment>
      <ContentId>cid:1</ContentId>
      <AttachmentName>{escape(attachment_name)}</AttachmentName>
      <Description>{escape(attachment_name)}</Description>
      <ContentType>text/plain</ContentType>
      <edXML:ContentTransferEncoded xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">{body}</edXML:ContentTransferEncoded>
    </Attachment>
  </AttachmentEncoded>"""
    due_xml = f"<edXML:DueDate>{due}</edXML:DueDate>" if due else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
  <edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From>
          <edXML:OrganId>000.00.12.H19</edXML:OrganId>
          <edXML:OrganName>UBND tỉnh Đồng Nai</edXML:OrganName>
        </edXML:From>
        <edXML:To>
          <edXML:OrganId>000.03.12.H19</edXML:OrganId>
          <edXML:OrganName>Sở Nội vụ tỉnh Đồng Nai</edXML:OrganName>
        </edXML:To>
        <edXML:DocumentId>{escape(document_id)}</edXML:DocumentId>
        <edXML:Code>
          <edXML:CodeNumber>{code[0]}</edXML:CodeNumber>
          <edXML:CodeNotation>{code[1]}</edXML:CodeNotation>
        </edXML:Code>
        <edXML:PromulgationInfo>
          <edXML:Place>Đồng Nai</edXML:Place>
          <edXML:PromulgationDate>{promulgation}</edXML:PromulgationDate>
        </edXML:PromulgationInfo>
        <edXML:DocumentType>
          <edXML:Type>1</edXML:Type>
          <edXML:TypeName>Công văn</edXML:TypeName>
        </edXML:DocumentType>
        <edXML:Subject>{escape(subject)}</edXML:Subject>
        <edXML:Content>{escape(subject)}</edXML:Content>
        <edXML:SignerInfo>
          <edXML:Competence>KT. CHỦ TỊCH</edXML:Competence>
          <edXML:Position>PHÓ CHỦ TỊCH</edXML:Position>
          <edXML:FullName>Nguyễn Văn A</edXML:FullName>
        </edXML:SignerInfo>
        {due_xml}
        <edXML:SteeringType>1</edXML:SteeringType>
      </edXML:MessageHeader>
      <edXML:TraceHeaderList>
        <edXML:TraceHeader>
          <edXML:OrganId>000.00.12.H19</edXML:OrganId>
          <edXML:Timestamp>2026/03/05 15:20:00</edXML:Timestamp>
        </edXML:TraceHeader>
      </edXML:TraceHeaderList>
    </edXML:edXMLHeader>
    <edXML:edXMLBody>
      <edXML:edXMLManifest version="1.0">
        <edXML:Reference>
          <edXML:ContentId>cid:1</edXML:ContentId>
          <edXML:AttachmentName>{escape(attachment_name)}</edXML:AttachmentName>
        </edXML:Reference>
      </edXML:edXMLManifest>
    </edXML:edXMLBody>
  </edXML:edXMLEnvelope>{att}
</edXML>
""".encode()


class Signer:
    """A throwaway certificate authority's certificate and key; signs packages as a sending system would."""

    def __init__(self):
        import trustme

        self.ca = trustme.CA(key_type=trustme.KeyType.RSA)  # RSA, as the hub signs (rsa-sha1 / rsa-sha256)
        self.cert = self.ca.issue_cert("vanthu.dongnai.gov.vn", key_type=trustme.KeyType.RSA)
        self.cert_pem = self.cert.cert_chain_pems[0].bytes()

    def sign(self, data: bytes) -> bytes:
        from lxml import etree
        from signxml import XMLSigner, methods

        root = etree.fromstring(data)
        signed = XMLSigner(method=methods.enveloped, signature_algorithm="rsa-sha256",
                           digest_algorithm="sha256").sign(root, key=self.cert.private_key_pem.bytes(),
                                                           cert=self.cert_pem.decode())
        return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
