import json
from pathlib import Path

from dprk_stance.cli import main
from dprk_stance.labels import LABELS

TEXT = (
    "Enterprises should be given the right to draw up their own plans and keep part of "
    "their earnings."
)


def test_predict_prints_stance_and_probabilities(trained, capsys):
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    assert main(["predict", TEXT, "--model", model]) == 0
    out = capsys.readouterr().out
    assert out.split()[0] in LABELS and all(label in out for label in LABELS)
    assert main(["predict", TEXT, "--model", model, "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert abs(sum(row["probabilities"].values()) - 1) < 1e-3


def test_predict_errors_are_clear(tmp_path, capsys):
    assert main(["predict", TEXT, "--model", str(tmp_path)]) == 2
    assert "not a dprk-stance model directory" in capsys.readouterr().err


def test_label_then_compare_two_models(trained, tmp_path, capsys):
    doc = tmp_path / "issue.txt"
    doc.write_text(
        TEXT + "\n\nTrade must reach many countries and regions beyond one partner."
        "\n\nThe unified guidance of the state must be restored everywhere.\n"
    )
    outs = []
    for name in ("tfidf-logreg", "keywords"):
        out = tmp_path / f"{name}.csv"
        assert (
            main(
                [
                    "label",
                    str(doc),
                    "--model",
                    str(Path(trained.paths.models_dir) / name),
                    "--out",
                    str(out),
                    "--quiet",
                ]
            )
            == 0
        )
        outs.append(str(out))
    capsys.readouterr()
    assert main(["compare", *outs, "--out", str(tmp_path / "cmp.json")]) == 0
    text = capsys.readouterr().out
    assert "Cohen's kappa" in text and "matched passages: 3" in text
    assert json.loads((tmp_path / "cmp.json").read_text())["matched_passages"] == 3


def test_label_rejects_unknown_output_format(trained, tmp_path, capsys):
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    assert main(["label", "-", "--model", model, "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "format by extension" in capsys.readouterr().err
