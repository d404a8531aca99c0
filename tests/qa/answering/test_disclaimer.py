from qa.answering.disclaimer import DISCLAIMER, with_disclaimer


def test_appends_once_at_the_end():
    out = with_disclaimer("答案[1]")
    assert out.endswith(DISCLAIMER) and out.count(DISCLAIMER) == 1
    assert out.startswith("答案[1]")


def test_moves_an_existing_copy_to_the_end():
    out = with_disclaimer(f"{DISCLAIMER}\n答案")
    assert out.count(DISCLAIMER) == 1 and out.endswith(DISCLAIMER) and out.startswith("答案")


def test_empty_body_is_just_the_disclaimer():
    assert with_disclaimer("  ") == DISCLAIMER
