"""Model outputs read the same everywhere: never 100 % or 0 %, one spelling per finding."""

from desktop_app.core.wording import finding_text, model_percent


def test_a_model_output_is_never_shown_as_certain():
    assert model_percent(0.997) == ">99%"
    assert model_percent(0.9999, 1) == ">99.9%"
    assert model_percent(1.0) == ">99%"
    assert model_percent(0.003) == "<1%"
    assert model_percent(0.0, 1) == "<0.1%"
    assert model_percent(0.874) == "87%" and model_percent(0.8736, 1) == "87.4%"
    assert model_percent(0.994) == "99%" and model_percent(0.006) == "1%"
    assert model_percent(None) == "—"


def test_every_stored_spelling_reads_one_way():
    assert finding_text("No Tumor") == finding_text("no tumour") == finding_text("notumor") == "No tumor"
    assert finding_text("pituitary") == "Pituitary tumor"
    assert finding_text("not_assessable") == "Not assessable — needs another scan"
    assert finding_text("Something new") == "Something new" and finding_text(None) == "—"
