import pytest

from geodti.errors import InputError
from geodti.io.paths import (
    MAX_SLUG_BYTES, check_file_name, output_path, safe_slug, unique_slugs,
)

HOSTILE = ["..", ".", "", "/", "\\", "../../x", "x/../../../../y", "a\\..\\b", "a\x00b",
           "javascript:alert(1);x", "CON", "aux", "con.txt", "Lpt9", " x. ", "...x..",
           "x" * 300, "数" * 200, "C:\\Windows\\x", "%2e%2e%2fx", "a\nb", "..\u2215x"]


@pytest.mark.parametrize("label", HOSTILE)
def test_a_slug_is_always_a_plain_file_name_inside_the_folder(label, tmp_path):
    slug = safe_slug(label)
    assert slug and len(slug.encode("utf-8")) <= MAX_SLUG_BYTES
    for name in (slug, slug + ".html"):
        path = output_path(tmp_path, name)
        assert path.parent == tmp_path and path.name == name
    assert not slug.startswith(".") and "/" not in slug and "\\" not in slug and ":" not in slug
    assert slug == safe_slug(label)  # the same label, the same name


def test_safe_characters_and_chinese_are_kept():
    assert safe_slug("数字化指数") == "数字化指数"
    assert safe_slug("dti_2023Q1-a") == "dti_2023Q1-a"
    assert safe_slug("ＤＴＩ２０２３") == "DTI2023"  # full-width forms read as ASCII
    assert safe_slug("../../x") == "_x"
    assert safe_slug("x/../../../../y") == "x_y"
    assert safe_slug("javascript:alert(1);x") == "javascript_alert_1_x"
    assert safe_slug("a\x00b") == "a_b"


@pytest.mark.parametrize("label", ["CON", "aux", "nul", "Com1", "LPT9"])
def test_windows_device_names_are_changed(label):
    assert safe_slug(label) == label + "_"


@pytest.mark.parametrize("label", ["", ".", "..", "/", "\\", "..."])
def test_labels_with_nothing_usable_get_a_placeholder(label):
    assert safe_slug(label) == "unnamed"


def test_long_labels_are_cut_with_a_digest_so_they_do_not_collide():
    a, b = "x" * 150 + "a", "x" * 150 + "b"
    assert safe_slug(a) != safe_slug(b)
    assert safe_slug(a).startswith("x" * 80)
    assert all(len(safe_slug(t).encode("utf-8")) == MAX_SLUG_BYTES for t in (a, b))
    chinese = safe_slug("城" * 100)  # 300 bytes: cut on a character boundary
    assert chinese.startswith("城" * 30) and len(chinese.encode("utf-8")) <= MAX_SLUG_BYTES
    assert chinese.encode("utf-8").decode("utf-8") == chinese


def test_colliding_labels_get_distinct_names_whatever_their_order():
    labels = ["a/b", "a_b", "a.b", "A_B", "c"]
    names = unique_slugs(labels)
    assert list(names) == labels
    assert len({n.lower() for n in names.values()}) == len(labels)  # case-insensitive too
    assert names["A_B"] == "A_B" and names["c"] == "c"  # unchanged names stay as they are
    assert names["a/b"].startswith("a_b-") and names["a.b"].startswith("a_b-")
    assert unique_slugs(reversed(labels)) == names
    assert unique_slugs(["a/b"]) == {"a/b": "a_b"}  # no collision, no digest
    for name in names.values():
        output_path("out", name + ".csv")


def test_empty_and_dot_labels_do_not_share_a_name():
    names = unique_slugs(["", ".", "..", "unnamed"])
    assert names["unnamed"] == "unnamed"
    assert len(set(names.values())) == 4


@pytest.mark.parametrize("name", ["..", ".", "", "../x", "x/y", "x\\y", ".hidden", "x.", "x ",
                                  "javascript:alert(1)", "con.txt", "AUX", "nul.tar.gz",
                                  "a\x00b.csv", "C:x", "x" * 250 + ".csv"])
def test_output_path_refuses_names_that_are_not_plain(tmp_path, name):
    with pytest.raises(InputError):
        output_path(tmp_path, name)
    with pytest.raises(InputError):
        check_file_name(name)


def test_output_path_joins_plain_names(tmp_path):
    assert output_path(tmp_path, "数字化指数_2023Q1.html") == tmp_path / "数字化指数_2023Q1.html"
    assert output_path(tmp_path / "new", "geodti_tables.xlsx").parent == tmp_path / "new"
    assert check_file_name("console.html") == "console.html"  # only the device names exactly
