"""What a clerk writes after /done, read for the record (core.completion_text)."""

from datetime import date

from core.completion_text import CompletionWords, read_completion


def test_a_report_number_its_date_and_the_day_done():
    assert read_completion("xong ngày 15/12/2013, báo cáo số 123/BC-SNV ngày 16/12/2013") == CompletionWords(
        date(2013, 12, 15), "123/BC-SNV", date(2013, 12, 16))
    assert read_completion("Đã gửi Công văn 45/UBND-VX") == CompletionWords(None, "45/UBND-VX", None)
    assert read_completion("Quyết định 7/QĐ-UBND ngay 02/01/2026") == CompletionWords(None, "7/QĐ-UBND",
                                                                                     date(2026, 1, 2))
    assert read_completion("done on 3/8/2026") == CompletionWords(date(2026, 8, 3), None, None)


def test_nothing_is_guessed():
    assert read_completion(None) == read_completion("") == CompletionWords()
    assert read_completion("đã xong") == CompletionWords()
    assert read_completion("họp ngày 15/12/2013") == CompletionWords()  # a date, no number, not "done on"
    assert read_completion("https://vanban.example/so/123") == CompletionWords()
    assert read_completion("hoàn thành ngày 31/02/2013").on is None  # not a date
    assert read_completion("tỷ lệ 12/15 đơn vị").document is None
