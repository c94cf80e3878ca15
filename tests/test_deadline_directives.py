"""Every deadline phrase of the five directives in ../shared/directives/, with its expected reading.

Each phrase is checked to appear in its directive (so the list stays honest) and read with that
directive's issue date. Phrases that look like deadlines but are not (a start "từ năm 2012", an
"as of" date, a cited document's date, "định kỳ" without a period) must be refused, not guessed.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from core.i18n import use_language
from core.deadline import DeadlineError, parse_deadline


@pytest.fixture(autouse=True)
def _english():
    """The assertions below quote the English source texts (msgids); Vietnamese: test_deadline_cli."""
    with use_language("en"):
        yield


DIRECTIVES = Path(__file__).resolve().parents[2] / "shared" / "directives"

# Issue dates as printed in each directive. 002 (Hậu Giang's chỉ thị) carries no date in this copy; it
# cites a decision of 14/12/2012 and plans "trong năm 2013", so it is read as issued on 1/3/2013.
ISSUED = {
    "000": date(2013, 7, 5),   # Đồng Nai 5277/UBND-KSTT, ngày 05 tháng 7 năm 2013
    "001": date(2018, 5, 23),  # Đồng Nai 5099/UBND-HCC, ngày 23 tháng 5 năm 2018
    "002": date(2013, 3, 1),   # Hậu Giang chỉ thị (undated copy)
    "003": date(2012, 3, 2),   # Nam Định 337/QĐ-UBND ngày 02/3/2012
    "004": date(2013, 7, 11),  # Lạng Sơn 62/KH-UBND, ngày 11 tháng 7 năm 2013
}

YEARLY = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=-1"
QUARTERLY = "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"
MONTHLY = "FREQ=MONTHLY;BYMONTHDAY=-1"
HALF_AND_YEAR = "FREQ=MONTHLY;BYMONTH=6,12;BYMONTHDAY=-1"


def once(due: str, matched: str):
    return ("once", date.fromisoformat(due), matched)


def every(rrule: str, start: str, matched: str):
    return ("recurring", rrule, date.fromisoformat(start), matched)


def continuous(matched: str):
    return ("continuous", matched)


def refused(why: str):
    return ("error", why)


PHRASES = [
    # ---- 000: Đồng Nai, 5277/UBND-KSTT -------------------------------------------------------
    ("000", "Tổng hợp báo cáo kết quả thực hiện trước 30/11/2013.", once("2013-11-30", "trước 30/11/2013")),
    ("000", "biên chế tính đến ngày 31/12/2012 của Ủy ban nhân dân các cấp", refused("reference date (as of)")),
    ("000", "kể từ năm 2001 đến nay", refused("starts, not when it is due")),
    ("000", "Kế hoạch rà soát, kiểm soát thủ tục hành chính hàng năm", every(YEARLY, "2013-12-31", "hàng năm")),
    ("000", "Kế hoạch, Chương trình hàng năm của tỉnh", every(YEARLY, "2013-12-31", "hàng năm")),
    ("000", "giai đoạn 2011-2020", once("2020-12-31", "giai đoạn 2011-2020")),
    ("000", "Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2011-2020", refused("no deadline found")),
    ("000", "Chỉ thị số 07/CT-TTg ngày 22/5/2013 của Thủ tướng Chính phủ", refused("no deadline found")),
    # ---- 001: Đồng Nai, 5099/UBND-HCC -------------------------------------------------------
    ("001", "trước ngày 14/6/2018", once("2018-06-14", "trước ngày 14/6/2018")),
    ("001", "gửi kế hoạch triển khai Chỉ số PAR INDEX về UBND tỉnh (qua Sở Nội vụ) *trước ngày 14/6/2018*",
     once("2018-06-14", "trước ngày 14/6/2018")),
    ("001", "trước ngày 15/11/2018", once("2018-11-15", "trước ngày 15/11/2018")),
    ("001", "báo cáo kết quả thực hiện kế hoạch triển khai Chỉ số PAR INDEX năm 2018 về UBND tỉnh "
            "*trước ngày 15/11/2018* (lồng ghép trong báo cáo cải cách hành chính năm)",
     once("2018-11-15", "trước ngày 15/11/2018")),
    ("001", "Yêu cầu các đơn vị, địa phương gửi kế hoạch triển khai Chỉ số PAR INDEX về UBND tỉnh (qua Sở Nội vụ) "
            "*trước ngày 14/6/2018*; đồng thời, báo cáo kết quả thực hiện kế hoạch triển khai Chỉ số PAR INDEX "
            "năm 2018 về UBND tỉnh *trước ngày 15/11/2018*", refused("more than one deadline")),
    ("001", "trong năm 2018", once("2018-12-31", "trong năm 2018")),
    ("001", "từ năm 2017", refused("starts, not when it is due")),
    ("001", "yêu cầu Sở Nội vụ thường xuyên đôn đốc việc thực hiện và định kỳ hàng quý tổng hợp kết quả",
     every(QUARTERLY, "2018-06-30", "định kỳ hàng quý")),
    ("001", "định kỳ hàng quý", every(QUARTERLY, "2018-06-30", "định kỳ hàng quý")),
    ("001", "thường xuyên đôn đốc", continuous("thường xuyên")),
    ("001", "đúng thời hạn quy định", refused("no deadline found")),
    ("001", "Quyết định số 716/QĐ-BNV ngày 24/4/2018", refused("no deadline found")),
    ("001", "Ngày 02/5/2018, tại Hà Nội, Bộ Nội vụ công bố", refused("no deadline found")),
    # ---- 002: Hậu Giang, chỉ thị ---------------------------------------------------------------
    ("002", "6 tháng và cả năm", every(HALF_AND_YEAR, "2013-06-30", "6 tháng và cả năm")),
    ("002", "Định kỳ báo cáo tình hình và kết quả thực hiện 6 tháng và cả năm gửi Sở Nội vụ",
     every(HALF_AND_YEAR, "2013-06-30", "6 tháng và cả năm")),
    ("002", "vào cuối năm 2013", once("2013-12-31", "vào cuối năm 2013")),
    ("002", "tiến đến thực hiện cơ chế một cửa liên thông vào cuối năm 2013;", once("2013-12-31", "vào cuối năm 2013")),
    ("002", "trong năm 2013 và giai đoạn 2013 - 2015", once("2015-12-31", "trong năm 2013 và giai đoạn 2013 - 2015")),
    ("002", "xây dựng Kế hoạch trong quý II và quý III sẽ tiến hành kiểm tra",
     once("2013-09-30", "trong quý II và quý III")),
    ("002", "Định kỳ hàng tháng", every(MONTHLY, "2013-03-31", "Định kỳ hàng tháng")),
    ("002", "Chỉ thị này có hiệu lực thi hành sau 10 (mười) ngày kể từ ngày ký.",
     once("2013-03-11", "sau 10 (mười) ngày kể từ ngày ký")),
    ("002", "10 (mười) ngày kể từ ngày ký", once("2013-03-11", "10 (mười) ngày kể từ ngày ký")),
    ("002", "Định kỳ tổng hợp báo cáo của các sở, ban, ngành", refused('"định kỳ" (periodic) names no period')),
    ("002", "Quyết định số 1333/QĐ-BNV ngày 14 tháng 12 năm 2012 của Bộ Nội vụ", refused("no deadline found")),
    ("002", "Nghị định số 130/2005/NĐ-CP ngày 17 tháng 10 của Chính phủ", refused("no deadline found")),
    # ---- 003: Nam Định, 337/QĐ-UBND --------------------------------------------------------------
    ("003", "Quyết định này có hiệu lực kể từ ngày ký.", refused("no deadline found")),
    ("003", "Thường xuyên rà soát các văn bản quy phạm pháp luật", continuous("Thường xuyên")),
    ("003", "về kiểm soát thủ tục hành chính (quý III/2013)", once("2013-09-30", "quý III/2013")),
    ("003", "Báo cáo thực hiện cải cách tài chính công (tháng 12/năm và theo yêu cầu của UBND tỉnh qua Sở Nội vụ)",
     every(YEARLY, "2012-12-31", "tháng 12/năm")),
    ("003", "vào Quý IV/2013", once("2013-12-31", "vào Quý IV/2013")),
    ("003", "trình UBND tỉnh phê duyệt để thực hiện từ năm 2012", refused("starts, not when it is due")),
    ("003", "vào Quý IV/2012", once("2012-12-31", "vào Quý IV/2012")),
    ("003", "vào tháng 12/2014", once("2014-12-31", "vào tháng 12/2014")),
    ("003", "vào Quý II/2013", once("2013-06-30", "vào Quý II/2013")),
    ("003", "vào Quý 1/2013", once("2013-03-31", "vào Quý 1/2013")),
    ("003", "phấn đấu đến năm 2015", once("2015-12-31", "đến năm 2015")),
    ("003", "kế hoạch cải cách hành chính hàng năm", every(YEARLY, "2012-12-31", "hàng năm")),
    ("003", "Thực hiện chế độ báo cáo quý, 6 tháng và năm", every(QUARTERLY, "2012-03-31", "chế độ báo cáo quý, 6 tháng và năm")),
    ("003", "giai đoạn 2011-2015", once("2015-12-31", "giai đoạn 2011-2015")),
    # the appendix, column "Thời gian hoàn thành"
    ("003", "Tháng 12/2012", once("2012-12-31", "Tháng 12/2012")),
    ("003", "Hàng tháng/năm", every(MONTHLY, "2012-03-31", "Hàng tháng/năm")),
    ("003", "Tháng 10/2012", once("2012-10-31", "Tháng 10/2012")),
    ("003", "Quý III/2013", once("2013-09-30", "Quý III/2013")),
    ("003", "Quý II/2012", once("2012-06-30", "Quý II/2012")),
    ("003", "Quý IV/2012", once("2012-12-31", "Quý IV/2012")),
    ("003", "Quý I/2013", once("2013-03-31", "Quý I/2013")),
    ("003", "Tháng 12/năm", every(YEARLY, "2012-12-31", "Tháng 12/năm")),
    ("003", "Quý II/2013", once("2013-06-30", "Quý II/2013")),
    ("003", "Quý IV/2013", once("2013-12-31", "Quý IV/2013")),
    ("003", "Quý IV/2014", once("2014-12-31", "Quý IV/2014")),
    ("003", "Tháng 9/2015", once("2015-09-30", "Tháng 9/2015")),
    ("003", "Tháng 10/2015", once("2015-10-31", "Tháng 10/2015")),
    # ---- 004: Lạng Sơn, 62/KH-UBND -----------------------------------------------------------------
    ("004", "Thời gian: Trong tháng 8/2013.", once("2013-08-31", "Trong tháng 8/2013")),
    ("004", "Trong tháng 8/2013", once("2013-08-31", "Trong tháng 8/2013")),
    ("004", "Thời gian: Thường xuyên.", continuous("Thường xuyên")),
    ("004", "lập kế hoạch cải cách hành chính hằng năm", every(YEARLY, "2013-12-31", "hằng năm")),
    ("004", "kế hoạch công tác hàng năm", every(YEARLY, "2013-12-31", "hàng năm")),
    ("004", "định kỳ báo cáo Chủ tịch UBND tỉnh (qua Sở Nội vụ) tình hình và kết quả thực hiện hằng quý",
     every(QUARTERLY, "2013-09-30", "hằng quý")),
    ("004", "định kỳ báo cáo và kiến nghị với UBND tỉnh", refused('"định kỳ" (periodic) names no period')),
    ("004", "Nghị định số 63/2010/NĐ-CP ngày 08//6/2010", refused("no deadline found")),
]


# The readings are checked everywhere; where the directives themselves are at hand (../shared, as in the
# issue), each phrase is also checked to be quoted from them.
needs_directives = pytest.mark.skipif(not DIRECTIVES.is_dir(), reason=f"{DIRECTIVES} is not here")


def _directive_text(prefix: str) -> str:
    (path,) = DIRECTIVES.glob(f"{prefix}_*.txt")
    return " ".join(unicodedata.normalize("NFC", path.read_text(encoding="utf-8")).split())


@needs_directives
def test_every_phrase_is_quoted_from_its_directive():
    missing = [(prefix, phrase) for prefix, phrase, _ in PHRASES
               if " ".join(phrase.split()) not in _directive_text(prefix)]
    assert missing == []


@pytest.mark.parametrize(("prefix", "phrase", "expected"), PHRASES, ids=[f"{p}:{t[:40]}" for p, t, _ in PHRASES])
def test_directive_phrase(prefix, phrase, expected):
    issued = ISSUED[prefix]
    if expected[0] == "error":
        with pytest.raises(DeadlineError) as err:
            parse_deadline(phrase, issued)
        assert expected[1] in str(err.value)
        return
    d = parse_deadline(phrase, issued)
    assert d.kind == expected[0]
    assert d.matched == expected[-1]
    assert d.matched in phrase
    if d.kind == "once":
        assert d.due == expected[1]
        assert d.rrule is None and d.start is None
    elif d.kind == "recurring":
        assert (d.rrule, d.start) == expected[1:3]
        assert d.due is None
        assert d.start >= issued
    else:
        assert d.due is None and d.rrule is None


def _appendix_deadlines() -> list[str]:
    """The "Thời gian hoàn thành" column of 003's appendix table (rows with all five cells)."""
    text = next(DIRECTIVES.glob("003_*.txt")).read_text(encoding="utf-8")
    table = text.split("Thời gian hoàn thành", 1)[1]
    out = []
    for block in re.split(r"\n\s*\n", table):
        cells = [c.strip() for c in block.strip("\n").split("\n") if c.strip()]
        if len(cells) == 5 and cells[0].isdigit():
            out.append(cells[4])
    return out


@needs_directives
def test_every_appendix_deadline_is_listed_and_benchmarked():
    from bench.parsing import PHRASES as BENCH

    column = _appendix_deadlines()
    assert len(column) == 17  # row 18 of this copy is cut off before its deadline
    assert tuple(column) == BENCH
    listed = {p for prefix, p, _ in PHRASES if prefix == "003"}
    assert set(column) <= listed
