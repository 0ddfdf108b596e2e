import pytest

from geodti.io.atomic import atomic_path, write_text


def test_write_text_replaces_target(tmp_path):
    target = tmp_path / "out" / "a.csv"
    write_text(target, "x\n1\n")
    assert target.read_text() == "x\n1\n"
    write_text(target, "x\n2\n")
    assert target.read_text() == "x\n2\n"
    assert [p.name for p in target.parent.iterdir()] == ["a.csv"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "a.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]
