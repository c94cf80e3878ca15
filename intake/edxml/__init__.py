"""edXML (QCVN 102:2016/BTTTT), the e-office's exchange format: packages in (`package.read_package`, the signature
in `signature.py`, a draft for review in `importer.receive`), status receipts out (`receipts.py`), and the
folders the scheduler's tick works on (`outbox.py`). docs/integration.md."""
