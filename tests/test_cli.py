import json
from pathlib import Path

import pandas as pd
import pytest

from dprk_stance.cli import main
from dprk_stance.labels import LABELS, prob_column

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
    assert set(row["probabilities"]) == set(LABELS) and isinstance(row["no_stance"], bool)


def test_predict_and_label_give_identical_probabilities(trained, tmp_path, capsys):
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    assert main(["predict", TEXT, "--model", model, "--json"]) == 0
    predicted = json.loads(capsys.readouterr().out)["probabilities"]
    doc = tmp_path / "one.txt"
    doc.write_text(TEXT + "\n")
    out = tmp_path / "one.csv"
    assert main(["label", str(doc), "--model", model, "--out", str(out), "--quiet"]) == 0
    row = pd.read_csv(out).iloc[0]
    for label in LABELS:
        assert row[prob_column(label)] == pytest.approx(predicted[label], abs=1e-4)


def test_evaluate_command_on_a_gold_file(trained, tmp_path, capsys):
    gold = tmp_path / "gold.csv"
    gold.write_text(
        "id,doc_id,text,label\n"
        "1,a,Above all trade must reach many countries and regions.,pro-diversification\n"
        "2,a,The plant fulfilled its quarterly plan by eight per cent.,none\n"
        "3,b,Imports must be replaced by our own domestic production.,conservative\n"
        "4,b,a row with,too many,fields\n"
    )
    params = tmp_path / "params.yaml"
    import yaml

    params.write_text(yaml.safe_dump(trained.to_dict()))
    model = str(Path(trained.paths.models_dir) / "tfidf-logreg")
    code = main(
        [
            "evaluate",
            str(gold),
            "--model",
            model,
            "--params",
            str(params),
            "--out",
            str(tmp_path / "ev"),
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "macro-F1" in captured.out and "line 5" in captured.err
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["passages"] == 3 and metrics["no_stance_passages"] == 1
    assert len(pd.read_csv(tmp_path / "ev" / "predictions.csv")) == 3


def test_default_model_comes_from_the_leaderboard(tmp_path, monkeypatch):
    from dprk_stance.cli import resolve_model

    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "leaderboard.json").write_text(
        json.dumps({"default_model": {"model": "setfit"}})
    )
    assert resolve_model(None, tmp_path / "reports") == str(Path("models") / "setfit")
    assert resolve_model("models/x", tmp_path / "reports") == "models/x"
    with pytest.raises(ValueError, match="no --model"):
        resolve_model(None, tmp_path / "nowhere")


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
