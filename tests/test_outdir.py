import pytest

from geodti.errors import InputError
from geodti.io.outdir import MARKER, prepare_output_dir


def test_new_folder_is_created_and_marked(tmp_path):
    out = prepare_output_dir(tmp_path / "new" / "out")
    assert (out / MARKER).exists()
    # a second run into its own folder is allowed
    (out / "index.html").write_text("x")
    assert prepare_output_dir(out) == out


def test_foreign_non_empty_folder_is_refused(tmp_path):
    (tmp_path / "thesis.docx").write_text("precious")
    with pytest.raises(InputError, match="--force"):
        prepare_output_dir(tmp_path)
    assert (tmp_path / "thesis.docx").read_text() == "precious"
    prepare_output_dir(tmp_path, force=True)
    assert (tmp_path / MARKER).exists()


def test_file_in_place_of_folder(tmp_path):
    f = tmp_path / "out"
    f.write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        prepare_output_dir(f)
