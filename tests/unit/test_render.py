"""Long replies are split under Telegram's 4096-character limit."""

from ui.render import chunks, esc


def test_chunks_keep_lines_whole_and_under_limit() -> None:
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(500))
    parts = list(chunks(text))
    assert len(parts) > 1
    assert all(len(part) <= 4096 for part in parts)
    assert "\n".join(parts) == text


def test_overlong_single_line_is_cut() -> None:
    parts = list(chunks("y" * 9000))
    assert [len(p) for p in parts] == [4096, 4096, 808]


def test_escape_roster_text() -> None:
    assert esc("<b>张三&</b>") == "&lt;b&gt;张三&amp;&lt;/b&gt;"
